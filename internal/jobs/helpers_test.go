package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to read River's table

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/store/sqlite"
)

// testBundle is what a test needs beside the queue under test.
type testBundle struct {
	kind    string // "sqlite" or "postgres"
	store   store.Store
	db      *sql.DB // reads River's table
	tracker *tracker
	cfg     Config // the queue's config, to open replicas alike
}

// setup opens a store of the given kind and a started queue on it whose
// Runner is tracked and behaves as behave says (nil: succeeds at once).
func setup(t *testing.T, kind string, behave behaviour, mutate func(*Config)) (*Queue, *testBundle) {
	t.Helper()
	b := newBundle(t, kind, mutate)
	b.cfg.Runner = b.tracker.runner("a", b.store, behave)
	return b.start(t, b.cfg), b
}

// newBundle opens a store of the given kind and the config of queues on it,
// less the Runner.
func newBundle(t *testing.T, kind string, mutate func(*Config)) *testBundle {
	t.Helper()
	ctx := t.Context()
	b := &testBundle{kind: kind, tracker: newTracker()}
	logger := testLogger(t)
	switch kind {
	case "sqlite":
		h, err := sqlite.OpenHandles(ctx, filepath.Join(t.TempDir(), "hubsync.db"))
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { h.Store.Close() })
		b.store, b.db, b.cfg.SQLite = h.Store, h.Write, h.Write
	case "postgres":
		url := pgtest.URL(t)
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		b.store, b.db, b.cfg.PostgresURL = st, db, url
	}
	b.cfg.Logger = logger
	b.cfg.Workers = 3
	b.cfg.RunTimeout = 5 * time.Second
	b.cfg.busySnooze = 20 * time.Millisecond
	b.cfg.maxRetryDelay = 5 * time.Second
	b.cfg.leaseCheck = 100 * time.Millisecond
	b.cfg.fetchPoll = 50 * time.Millisecond
	b.cfg.testOnly = true
	if mutate != nil {
		mutate(&b.cfg)
	}
	return b
}

// start opens and starts a queue with cfg and stops it when the test ends.
func (b *testBundle) start(t *testing.T, cfg Config) *Queue {
	t.Helper()
	q, err := b.tryStart(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// tryStart is start for other goroutines than the test's.
func (b *testBundle) tryStart(t *testing.T, cfg Config) (*Queue, error) {
	q, err := b.open(t, cfg)
	if err != nil {
		return nil, err
	}
	if err := q.Start(t.Context()); err != nil {
		return nil, fmt.Errorf("start queue: %w", err)
	}
	return q, nil
}

// open opens a queue with cfg, unstarted, and stops it when the test ends.
func (b *testBundle) open(t *testing.T, cfg Config) (*Queue, error) {
	q, err := Open(t.Context(), cfg)
	if err != nil {
		return nil, fmt.Errorf("open queue: %w", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return q, nil
}

// states lists the states of the connection's runs in River's table.
func (b *testBundle) states(t *testing.T, connectionID int64) []string {
	t.Helper()
	query := `SELECT state FROM river_job WHERE kind = 'sync_run' AND json_extract(args, '$.connection_id') = ? ORDER BY id`
	if b.kind == "postgres" {
		query = `SELECT state::text FROM river_job WHERE kind = 'sync_run' AND (args->>'connection_id')::bigint = $1 ORDER BY id`
	}
	rows, err := b.db.QueryContext(context.Background(), query, connectionID)
	if err != nil {
		t.Fatalf("read river jobs: %v", err)
	}
	defer rows.Close()
	var states []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("read river jobs: %v", err)
		}
		states = append(states, s)
	}
	return states
}

// behaviour is what a fake run does after its bookkeeping; n counts the
// connection's runs from 1.
type behaviour func(ctx context.Context, connectionID int64, trigger string, n int) error

type runnerFunc func(ctx context.Context, connectionID int64, trigger string) error

func (f runnerFunc) Run(ctx context.Context, connectionID int64, trigger string) error {
	return f(ctx, connectionID, trigger)
}

type run struct {
	replica, trigger string
	start, end       time.Time
}

// tracker records the runs of fake Runners, across replicas, and the most
// that were ever in flight.
type tracker struct {
	mu         sync.Mutex
	runs       map[int64][]*run
	inflight   map[int64]int
	maxPerConn int
	total      int
	maxTotal   int
	perReplica map[string]int
}

func newTracker() *tracker {
	return &tracker{runs: map[int64][]*run{}, inflight: map[int64]int{}, perReplica: map[string]int{}}
}

// runner is a Runner that records each run, writes to the store as a sync
// run would, then behaves as behave says.
func (tr *tracker) runner(replica string, st store.Store, behave behaviour) Runner {
	return runnerFunc(func(ctx context.Context, id int64, trigger string) error {
		r, n := tr.begin(replica, id, trigger)
		defer tr.end(id, r)
		err := st.Update(ctx, func(tx store.Tx) error {
			return tx.SetMeta(ctx, fmt.Sprintf("jobs_test_%d", id), strconv.Itoa(n))
		})
		if err != nil {
			return err
		}
		if behave == nil {
			return nil
		}
		return behave(ctx, id, trigger, n)
	})
}

func (tr *tracker) begin(replica string, id int64, trigger string) (*run, int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := &run{replica: replica, trigger: trigger, start: time.Now()}
	tr.runs[id] = append(tr.runs[id], r)
	tr.inflight[id]++
	tr.maxPerConn = max(tr.maxPerConn, tr.inflight[id])
	tr.total++
	tr.maxTotal = max(tr.maxTotal, tr.total)
	tr.perReplica[replica]++
	return r, len(tr.runs[id])
}

func (tr *tracker) end(id int64, r *run) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r.end = time.Now()
	tr.inflight[id]--
	tr.total--
}

// snapshot returns copies of the runs of a connection.
func (tr *tracker) snapshot(id int64) []run {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make([]run, len(tr.runs[id]))
	for i, r := range tr.runs[id] {
		out[i] = *r
	}
	return out
}

func (tr *tracker) maxes() (perConn, total int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.maxPerConn, tr.maxTotal
}

func (tr *tracker) idle(id int64) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.inflight[id] == 0
}

// eventually waits until cond holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLogger logs River's warnings to the test, and stops when it ends.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Logf("%s", p)
	}
	return len(p), nil
}

package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var backends = []string{"sqlite", "postgres"}

// eachBackend runs test once per backend, in parallel.
func eachBackend(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, kind)
		})
	}
}

func TestEnqueueCoalesces(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		started, release := make(chan struct{}), make(chan struct{})
		slow := func(ctx context.Context, _ int64, _ string, n int) error {
			if n == 1 {
				close(started)
				<-release
			}
			return nil
		}
		q, b := setup(t, kind, slow, nil)
		if err := q.Enqueue(t.Context(), 1, TriggerFeed); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		<-started
		// While the first run runs, 50 more requests make one waiting run,
		// which starts only when the first has ended.
		var last time.Time
		for range 50 {
			if err := q.Enqueue(t.Context(), 1, TriggerFeed); err != nil {
				t.Fatalf("enqueue: %v", err)
			}
			last = time.Now()
		}
		time.Sleep(100 * time.Millisecond) // the waiting run finds the lease busy
		close(release)
		eventually(t, 5*time.Second, "runs still waiting", func() bool {
			t.Logf("states %v runs %d", b.states(t, 1), len(b.tracker.snapshot(1)))
			return b.tracker.idle(1) && slices.Equal(b.states(t, 1), []string{"completed", "completed"})
		})
		runs := b.tracker.snapshot(1)
		if len(runs) != 2 {
			t.Fatalf("51 requests made %d runs, want 2", len(runs))
		}
		if !runs[1].start.After(last) || runs[1].start.Before(runs[0].end) {
			t.Errorf("second run started at %v, want after the last request (%v) and the first run (%v)",
				runs[1].start, last, runs[0].end)
		}
		if perConn, _ := b.tracker.maxes(); perConn != 1 {
			t.Errorf("a connection had %d runs at once", perConn)
		}
	})
}

// A run that River has started but that has not yet taken its lease still
// waits, unless it has been at it for so long that its replica is dead.
func TestEnqueueJoinsRunsWaitingForTheirLease(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		b := newBundle(t, kind, nil)
		b.cfg.Runner = b.tracker.runner("a", b.store, nil)
		q, err := b.open(t, b.cfg) // not started: nothing works the runs
		if err != nil {
			t.Fatal(err)
		}
		// started makes the connection's run look taken by River ago.
		started := func(ago time.Duration) {
			t.Helper()
			query := `UPDATE river_job SET state = 'running', attempt = 1,
				attempted_at = strftime('%Y-%m-%d %H:%M:%f', 'now', ?) WHERE state = 'available'`
			arg := any(fmt.Sprintf("-%d seconds", int(ago.Seconds())))
			if kind == "postgres" {
				query = `UPDATE river_job SET state = 'running', attempt = 1,
					attempted_at = now() - make_interval(secs => $1) WHERE state = 'available'`
				arg = ago.Seconds()
			}
			if _, err := b.db.ExecContext(t.Context(), query, arg); err != nil {
				t.Fatalf("start run: %v", err)
			}
		}
		enqueue := func() {
			t.Helper()
			if err := q.Enqueue(t.Context(), 1, TriggerFeed); err != nil {
				t.Fatalf("enqueue: %v", err)
			}
		}
		enqueue()
		started(time.Second)
		enqueue()
		if got := b.states(t, 1); !slices.Equal(got, []string{"running"}) {
			t.Errorf("request joined no run waiting for its lease: states %v", got)
		}
		if _, err := b.db.ExecContext(t.Context(), "UPDATE river_job SET state = 'available', attempt = 0, attempted_at = NULL"); err != nil {
			t.Fatal(err)
		}
		started(2 * leaseGrace)
		enqueue()
		if got := b.states(t, 1); !slices.Equal(got, []string{"running", "available"}) {
			t.Errorf("request joined a run dead before its lease: states %v", got)
		}
	})
}

func TestConnectionsRunConcurrently(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		var arrived sync.WaitGroup
		arrived.Add(2)
		both := make(chan struct{})
		go func() { arrived.Wait(); close(both) }()
		meet := func(ctx context.Context, _ int64, _ string, n int) error {
			if n == 1 {
				arrived.Done()
			}
			select {
			case <-both:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		q, b := setup(t, kind, meet, nil)
		for _, id := range []int64{1, 2} {
			if err := q.Enqueue(t.Context(), id, TriggerManual); err != nil {
				t.Fatalf("enqueue: %v", err)
			}
		}
		select {
		case <-both:
		case <-time.After(5 * time.Second):
			t.Fatal("runs of two connections did not overlap")
		}
		if _, total := b.tracker.maxes(); total < 2 {
			t.Errorf("at most %d runs at once", total)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		const wait = 300 * time.Millisecond
		limited := func(_ context.Context, _ int64, _ string, n int) error {
			if n == 1 {
				return RetryAfter(errors.New("429 too many requests"), wait)
			}
			return nil
		}
		q, b := setup(t, kind, limited, nil)
		if err := q.Enqueue(t.Context(), 1, TriggerManual); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		eventually(t, 5*time.Second, "the rate-limited run was not made again", func() bool {
			return len(b.tracker.snapshot(1)) >= 2
		})
		runs := b.tracker.snapshot(1)
		if gap := runs[1].start.Sub(runs[0].end); gap < wait*8/10 {
			t.Errorf("made again after %v, want about %v", gap, wait)
		}
		eventually(t, 5*time.Second, "run not completed", func() bool {
			return slices.Equal(b.states(t, 1), []string{"completed"})
		})
	})
}

func TestErrorRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		flaky := func(_ context.Context, _ int64, _ string, n int) error {
			if n == 1 {
				return errors.New("connection reset by peer")
			}
			return nil
		}
		q, b := setup(t, kind, flaky, nil)
		if err := q.Enqueue(t.Context(), 1, TriggerManual); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		eventually(t, 5*time.Second, "the failed run was not retried", func() bool {
			return len(b.tracker.snapshot(1)) >= 2
		})
		runs := b.tracker.snapshot(1)
		// River's first backoff is 1s ±10%.
		if gap := runs[1].start.Sub(runs[0].end); gap < 850*time.Millisecond {
			t.Errorf("retried after %v, want about 1s", gap)
		}
	})
}

func TestPanicReleasesLease(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		q, b := setup(t, kind, func(_ context.Context, _ int64, _ string, n int) error {
			if n == 1 {
				panic("bug in the sync engine")
			}
			return nil
		}, nil)
		if err := q.Enqueue(t.Context(), 1, TriggerManual); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		eventually(t, 5*time.Second, "run not retried after a panic", func() bool {
			return slices.Equal(b.states(t, 1), []string{"completed"})
		})
	})
}

func TestHeldIsNotRetried(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		held := func(_ context.Context, _ int64, trigger string, _ int) error {
			if trigger == TriggerReconnect {
				return nil
			}
			return Held(errors.New("refresh token revoked"))
		}
		q, b := setup(t, kind, held, nil)
		if err := q.Enqueue(t.Context(), 1, TriggerSchedule); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		eventually(t, 5*time.Second, "held run not cancelled", func() bool {
			return slices.Equal(b.states(t, 1), []string{"cancelled"})
		})
		// Past River's first backoff, the run has still been made once.
		time.Sleep(1200 * time.Millisecond)
		if n := len(b.tracker.snapshot(1)); n != 1 {
			t.Errorf("held run made %d times", n)
		}
		// After the reconnect, a request runs the connection again.
		if err := q.Enqueue(t.Context(), 1, TriggerReconnect); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		eventually(t, 5*time.Second, "no run after reconnect", func() bool {
			return len(b.tracker.snapshot(1)) == 2
		})
	})
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		_, b := setup(t, kind, nil, func(c *Config) {
			c.Every = 250 * time.Millisecond
			c.Connections = func(context.Context) ([]int64, error) { return []int64{7, 8}, nil }
		})
		eventually(t, 5*time.Second, "scheduled connections not run repeatedly", func() bool {
			return len(b.tracker.snapshot(7)) >= 3 && len(b.tracker.snapshot(8)) >= 3
		})
		if r := b.tracker.snapshot(7)[0]; r.trigger != TriggerSchedule {
			t.Errorf("trigger %q, want %q", r.trigger, TriggerSchedule)
		}
	})
}

func TestStopInterruptsRuns(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		started := make(chan struct{}, 1)
		var cancelled error
		long := func(ctx context.Context, _ int64, _ string, _ int) error {
			started <- struct{}{}
			<-ctx.Done()
			cancelled = ctx.Err()
			return ctx.Err()
		}
		q, b := setup(t, kind, long, nil)
		if err := q.Enqueue(t.Context(), 1, TriggerManual); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("run did not start")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		begin := time.Now()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if d := time.Since(begin); d > 2*time.Second {
			t.Errorf("stop took %v", d)
		}
		if !errors.Is(cancelled, context.Canceled) {
			t.Errorf("run's context ended with %v, want cancelled", cancelled)
		}
		// The interrupted run waits for any replica, with no attempt spent.
		if got := b.states(t, 1); !slices.Equal(got, []string{"available"}) {
			t.Errorf("states after stop %v, want [available]", got)
		}
	})
}

func TestReplicasNeverRunAConnectionTwice(t *testing.T) {
	t.Parallel()
	short := func(context.Context, int64, string, int) error {
		time.Sleep(15 * time.Millisecond)
		return nil
	}
	b := newBundle(t, "postgres", nil)
	// Replicas start together: River's migrations take turns.
	var g errgroup.Group
	queues := make([]*Queue, 3)
	for i, name := range []string{"a", "b", "c"} {
		cfg := b.cfg
		cfg.Runner = b.tracker.runner(name, b.store, short)
		g.Go(func() (err error) {
			queues[i], err = b.tryStart(t, cfg)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := queues[i%3].Enqueue(t.Context(), int64(1+i%2), TriggerFeed); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		time.Sleep(3 * time.Millisecond)
	}
	for id := int64(1); id <= 2; id++ {
		eventually(t, 5*time.Second, "runs did not finish", func() bool {
			return b.tracker.idle(id) && !slices.ContainsFunc(b.states(t, id), func(s string) bool { return s != "completed" })
		})
	}
	if perConn, _ := b.tracker.maxes(); perConn != 1 {
		t.Errorf("a connection had %d runs at once across replicas", perConn)
	}
	b.tracker.mu.Lock()
	defer b.tracker.mu.Unlock()
	if working := len(b.tracker.perReplica); working < 2 {
		t.Errorf("runs per replica %v: want several replicas working", b.tracker.perReplica)
	}
}

// A replica that dies mid-run: its lease ends with its session, so another
// replica runs the connection at once; River rescues the dead run after
// RescueAfter and a live replica makes it again.
func TestReplicaDeath(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "postgres", func(c *Config) {
		c.RunTimeout = 500 * time.Millisecond
		c.RescueAfter = time.Second
	})
	frozen := make(chan struct{})
	inDeadRun := make(chan struct{})
	var once sync.Once
	deadCfg := b.cfg
	deadCfg.Runner = runnerFunc(func(context.Context, int64, string) error {
		once.Do(func() { close(inDeadRun) })
		<-frozen // deaf to its context, as a frozen process is
		return nil
	})
	dead := b.start(t, deadCfg)
	// Let the frozen run go before the dead replica's cleanup waits for it.
	t.Cleanup(func() { close(frozen) })
	if err := dead.Enqueue(t.Context(), 5, "orphan"); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	select {
	case <-inDeadRun:
	case <-time.After(5 * time.Second):
		t.Fatal("the replica did not take the run")
	}
	attempted := time.Now()

	// Death: the server ends the replica's sessions (here, the lease's),
	// and the replica takes no more work (here, a Stop that does not wait).
	var killed int
	key := uint64(lockKey("hubsync sync lease", schemaOf(t, b), "5"))
	err := b.db.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND classid = $1::bigint::oid AND objid = $2::bigint::oid`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("end the lease's session: %d ended, %v", killed, err)
	}
	stopped, cancel := context.WithCancel(t.Context())
	cancel()
	_ = dead.client.Stop(stopped)

	// The connection is not blocked: a new request runs on a live replica.
	b.cfg.Runner = b.tracker.runner("live", b.store, nil)
	live := b.start(t, b.cfg)
	if err := live.Enqueue(t.Context(), 5, TriggerFeed); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	eventually(t, 5*time.Second, "the live replica did not run the connection after the death", func() bool {
		return len(b.tracker.snapshot(5)) >= 1
	})

	// Once the dead run is RescueAfter old, River's rescuer gives it to a
	// live replica. The rescuer runs when a replica becomes leader and
	// every 30s after; asking the leader to resign runs it now.
	time.Sleep(time.Until(attempted.Add(b.cfg.RescueAfter + 100*time.Millisecond)))
	if err := live.backend.resign(t.Context()); err != nil {
		t.Fatalf("resign: %v", err)
	}
	eventually(t, 15*time.Second, "the dead replica's run was not rescued", func() bool {
		return slices.ContainsFunc(b.tracker.snapshot(5), func(r run) bool { return r.trigger == "orphan" })
	})
	if perConn, _ := b.tracker.maxes(); perConn != 1 {
		t.Errorf("live replicas ran the connection %d at once", perConn)
	}
}

func schemaOf(t *testing.T, b *testBundle) string {
	var schema string
	if err := b.db.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatalf("current schema: %v", err)
	}
	return schema
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{
		{},
		{PostgresURL: "postgres://x", Runner: runnerFunc(nil), RunTimeout: time.Hour, RescueAfter: time.Minute},
	} {
		if _, err := Open(t.Context(), c); err == nil {
			t.Errorf("Open(%+v) accepted", c)
		}
	}
}

// TestWithIdleLease checks that the lease of a connection with a live run
// is never idle, and that it is once the run ends, or on PostgreSQL once
// the replica running it has died.
func TestWithIdleLease(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, kind string) {
		started, release := make(chan struct{}), make(chan struct{})
		q, b := setup(t, kind, func(ctx context.Context, _ int64, _ string, n int) error {
			if n == 1 {
				close(started)
				<-release
			}
			return nil
		}, nil)
		if err := q.Enqueue(t.Context(), 1, TriggerFeed); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		<-started
		calls := 0
		count := func() error { calls++; return nil }
		if idle, err := q.WithIdleLease(t.Context(), 1, count); err != nil || idle || calls != 0 {
			t.Errorf("lease of a running connection: idle %v, %d calls, %v", idle, calls, err)
		}
		if idle, err := q.WithIdleLease(t.Context(), 2, count); err != nil || !idle || calls != 1 {
			t.Errorf("lease of a connection that is not running: idle %v, %d calls, %v", idle, calls, err)
		}
		if idle, err := q.WithIdleLease(t.Context(), 2, func() error { return errors.New("boom") }); !idle || err == nil {
			t.Errorf("fn's error: idle %v, %v", idle, err)
		}
		close(release)
		eventually(t, 5*time.Second, "the run did not end", func() bool { return b.tracker.idle(1) })
		eventually(t, 5*time.Second, "the ended run's lease is not idle", func() bool {
			idle, err := q.WithIdleLease(t.Context(), 1, count)
			return err == nil && idle
		})
	})
}

// TestDeadReplicasLeaseIsIdle ends the session of a replica's running run,
// as its death does: its lease is idle at once, though River still holds
// the run as running.
func TestDeadReplicasLeaseIsIdle(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "postgres", nil)
	frozen, inRun := make(chan struct{}), make(chan struct{})
	cfg := b.cfg
	cfg.Runner = runnerFunc(func(context.Context, int64, string) error {
		close(inRun)
		<-frozen
		return nil
	})
	q := b.start(t, cfg)
	t.Cleanup(func() { close(frozen) })
	if err := q.Enqueue(t.Context(), 7, TriggerFeed); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	<-inRun
	if idle, err := q.WithIdleLease(t.Context(), 7, func() error { return nil }); err != nil || idle {
		t.Fatalf("lease of a live run: idle %v, %v", idle, err)
	}
	key := uint64(lockKey("hubsync sync lease", schemaOf(t, b), "7"))
	var killed int
	err := b.db.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND classid = $1::bigint::oid AND objid = $2::bigint::oid`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("end the lease's session: %d ended, %v", killed, err)
	}
	eventually(t, 5*time.Second, "the dead run's lease is not idle", func() bool {
		idle, err := q.WithIdleLease(t.Context(), 7, func() error { return nil })
		return err == nil && idle
	})
	if states := b.states(t, 7); !slices.Equal(states, []string{"running"}) {
		t.Errorf("River holds the run as %v", states)
	}
}

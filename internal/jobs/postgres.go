package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// riverPoolSize is the connections River's own work needs at most: fetching,
// completing, electing, maintenance, and inserts.
const riverPoolSize = 8

type pgBackend struct {
	pool *pgxpool.Pool
	// leasePool holds the connections that carry leases, one per running
	// run, apart from River's so that runs can never starve it.
	leasePool  *pgxpool.Pool
	client     *river.Client[pgx.Tx]
	schema     string
	jobTable   string
	leaseCheck time.Duration
}

func openPostgres(ctx context.Context, url string, workers int, leaseCheck time.Duration, riverConfig func(schema string) *river.Config) (_ riverClient, _ backend, err error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("postgresql url: %w", err)
	}
	pcfg.MaxConns = riverPoolSize
	lcfg := pcfg.Copy()
	lcfg.MaxConns = int32(workers)
	b := &pgBackend{leaseCheck: leaseCheck}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	if b.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, nil, err
	}
	if b.leasePool, err = pgxpool.NewWithConfig(ctx, lcfg); err != nil {
		return nil, nil, err
	}
	// River's tables go where the store's do: the schema the URL's
	// search_path selects. Naming it also names River's notification
	// channels, which are per database, after it.
	if err := b.pool.QueryRow(ctx, "SELECT coalesce(current_schema(), '')").Scan(&b.schema); err != nil {
		return nil, nil, fmt.Errorf("connect to postgresql: %w", err)
	}
	if b.schema == "" {
		return nil, nil, errors.New("postgresql: the search_path names no existing schema")
	}
	b.jobTable = pgx.Identifier{b.schema, "river_job"}.Sanitize()
	driver := riverpgxv5.New(b.pool)
	cfg := riverConfig(b.schema)
	if err := b.migrate(ctx, driver, cfg); err != nil {
		return nil, nil, err
	}
	if b.client, err = river.NewClient(driver, cfg); err != nil {
		return nil, nil, err
	}
	return b.client, b, nil
}

// migrate runs River's migrations while holding a lock of the schema, as
// River's migrator takes none: replicas starting together take turns, and
// the later ones find nothing to do.
func (b *pgBackend) migrate(ctx context.Context, driver *riverpgxv5.Driver, cfg *river.Config) error {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to postgresql: %w", err)
	}
	key := lockKey("hubsync river migrations", b.schema)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		dropConn(conn)
		return fmt.Errorf("lock river migrations: %w", err)
	}
	defer unlockOrDrop(conn, key)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.Logger, Schema: b.schema})
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river on postgresql: %w", err)
	}
	return nil
}

func (b *pgBackend) enqueue(ctx context.Context, ids []int64, trigger string) error {
	texts := make([]string, len(ids))
	for i, id := range ids {
		texts[i] = strconv.FormatInt(id, 10)
	}
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		// Enqueues of the schema take turns, so that two cannot both find
		// no run waiting and both insert one.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("hubsync sync enqueue", b.schema)); err != nil {
			return err
		}
		// A running run waits until it has its lease (see waitingStates). The
		// state and queue lead River's fetching index: finished runs, most of
		// the table, are not read.
		rows, _ := tx.Query(ctx, `SELECT (args->>'connection_id')::bigint FROM `+b.jobTable+`
			WHERE state IN (`+waitingStates+`, 'running') AND queue = $1 AND kind = $2
			AND args->>'connection_id' = ANY($3)
			AND (state <> 'running' OR (attempted_at > now() - make_interval(secs => $4)
				AND coalesce(metadata->'output'->>'leased_attempt', '') <> attempt::text))`,
			queueRuns, RunArgs{}.Kind(), texts, leaseGrace.Seconds())
		found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		waiting := make(map[int64]bool, len(found))
		for _, id := range found {
			waiting[id] = true
		}
		return insertRuns(ids, waiting, trigger, func(params []river.InsertManyParams) error {
			_, err := b.client.InsertManyTx(ctx, tx, params)
			return err
		})
	})
}

func (b *pgBackend) waitingRun(ctx context.Context, connectionID, jobID int64) (int64, error) {
	var id int64
	err := b.pool.QueryRow(ctx, `SELECT id FROM `+b.jobTable+`
		WHERE state IN (`+waitingStates+`) AND queue = $1 AND kind = $2 AND id <> $3
		AND args->>'connection_id' = $4 LIMIT 1`,
		queueRuns, RunArgs{}.Kind(), jobID, strconv.FormatInt(connectionID, 10)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// lease takes the connection's session advisory lock on a connection of its
// own, held for the whole run. If the replica dies, PostgreSQL ends the
// session and so the lock. While the run lasts, the session is checked
// every leaseCheck; when it is gone, so is the lock, and the run is told.
func (b *pgBackend) lease(ctx context.Context, id int64) (*lease, error) {
	conn, err := b.leasePool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	key := b.leaseKey(id)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		dropConn(conn)
		return nil, fmt.Errorf("take lease of connection %d: %w", id, err)
	}
	if !ok {
		conn.Release()
		return nil, nil
	}
	lost, stop, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(b.leaseCheck)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			pctx, cancel := context.WithTimeout(context.Background(), b.leaseCheck)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				close(lost)
				return
			}
		}
	}()
	return &lease{lost: lost, release: func() {
		close(stop)
		<-done
		select {
		case <-lost:
			dropConn(conn)
		default:
			unlockOrDrop(conn, key)
		}
	}}, nil
}

// leaseKey names the advisory lock that is connection id's lease.
func (b *pgBackend) leaseKey(id int64) int64 {
	return lockKey("hubsync sync lease", b.schema, strconv.FormatInt(id, 10))
}

// idle takes the lease as a transaction lock, which conflicts with the
// session lock a run holds, for as long as fn runs.
func (b *pgBackend) idle(ctx context.Context, id int64, fn func() error) (bool, error) {
	called := false
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		var free bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", b.leaseKey(id)).Scan(&free); err != nil || !free {
			return err
		}
		called = true
		return fn()
	})
	return called, err
}

func (b *pgBackend) resign(ctx context.Context) error {
	return b.client.Notify().RequestResign(ctx)
}

func (b *pgBackend) close() {
	if b.pool != nil {
		b.pool.Close()
	}
	if b.leasePool != nil {
		b.leasePool.Close()
	}
}

// lockKey names an advisory lock. Advisory locks are per database, so the
// key includes the schema: stores in other schemas do not contend.
func lockKey(parts ...string) int64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// unlockOrDrop releases a session advisory lock and returns the connection
// to its pool, or closes the connection, and with it the lock, when the
// unlock fails: a pooled connection must never keep a lock.
func unlockOrDrop(conn *pgxpool.Conn, key int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var unlocked bool
	if err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", key).Scan(&unlocked); err != nil || !unlocked {
		dropConn(conn)
		return
	}
	conn.Release()
}

func dropConn(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Hijack().Close(ctx)
}

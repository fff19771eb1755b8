package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// On PostgreSQL a process keeps the auth generation in memory instead of
// reading it on every token check. authWatch holds it current and says
// when it may be trusted:
//
//   - One connection LISTENs for the generation's moves (a trigger on meta
//     announces them) and takes each one in before acknowledging it in its
//     row of auth_replicas.
//   - The same connection beats every heartbeatEvery: it locks its row,
//     reads the generation afresh (so a missed announcement is made up)
//     and stamps the row with the database's time. The memory is trusted
//     for trustLease after a beat was sent, and not at all once the
//     connection fails, until a new beat succeeds.
//   - A change that moves the generation waits after its commit (confirm)
//     until every process whose row was stamped within freshFor has
//     acknowledged the new generation.
//
// So a change is refused on its next use anywhere: a process either took
// it in before the change returned, or stamped its row too long ago to
// trust its memory still (trustLease ≤ freshFor, both measured from
// before the stamp). A beat locks its row before it reads the generation,
// and confirm locks every row, so a beat in flight is waited for rather
// than missed.
const (
	heartbeatEvery = 500 * time.Millisecond
	trustLease     = 1250 * time.Millisecond
	freshFor       = "1.5 seconds"
	// confirmWithin bounds a change's wait. A process that keeps beating
	// acknowledges within a beat, one that stops is stale after freshFor,
	// so it is reached only if the database's clock jumps.
	confirmWithin = 5 * time.Second
	// forgetAfter is when a row left by a process that died is removed.
	forgetAfter = "1 minute"
	// lockTimeout is below PostgreSQL's default deadlock_timeout (1 s).
	lockTimeout = "500ms"
)

type authWatch struct {
	db *sql.DB
	id string // this process's row in auth_replicas

	mu         sync.Mutex
	started    bool
	stopped    bool
	stop       context.CancelFunc
	done       chan struct{}
	generation int64
	trustUntil time.Time
}

// newAuthWatch returns the watch of a PostgreSQL store, nil on others: a
// SQLite store is read in a few microseconds and needs none.
func newAuthWatch(db *sql.DB, d Dialect) *authWatch {
	if d.Name != "postgres" {
		return nil
	}
	return &authWatch{db: db, id: uuid.NewString()}
}

// current returns the generation held in memory and whether it may be
// trusted now. The first call starts the watch: a process that never
// checks a token (a command line run) holds no connection for it.
func (w *authWatch) current() (int64, bool) {
	if w == nil {
		return 0, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started && !w.stopped {
		w.start()
	}
	return w.generation, time.Now().Before(w.trustUntil)
}

// trusted reports whether token checks are answered from memory now.
func (w *authWatch) trusted() bool {
	_, ok := w.current()
	return ok
}

func (w *authWatch) start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.started, w.stop, w.done = true, cancel, make(chan struct{})
	go w.run(ctx)
}

// close stops the watch and removes this process's row, so changes stop
// waiting for it at once.
func (w *authWatch) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	started := w.started && !w.stopped
	w.stopped = true
	w.mu.Unlock()
	if !started {
		return
	}
	w.stop()
	<-w.done
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = w.db.ExecContext(ctx, `DELETE FROM auth_replicas WHERE id = $1`, w.id)
}

// run keeps a listening connection, connecting again after a failure.
func (w *authWatch) run(ctx context.Context) {
	defer close(w.done)
	backoff := 50 * time.Millisecond
	for {
		err := w.session(ctx)
		w.distrust()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// session listens on one connection of the pool until it fails. The
// connection is never given back: it would keep listening.
func (w *authWatch) session(ctx context.Context) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("auth watch: driver %T offers no pgx connection", dc)
		}
		err := w.listen(ctx, pc.Conn())
		if err == nil {
			err = errors.New("auth watch: listening ended")
		}
		// Said here, where database/sql reads it, the connection is thrown
		// away, not pooled still listening and with the watch's lock timeout.
		return errors.Join(err, driver.ErrBadConn)
	})
}

func (w *authWatch) listen(ctx context.Context, c *pgx.Conn) error {
	var channel string
	if err := c.QueryRow(ctx, `SELECT 'hubsync_auth_' || left(md5(current_schema()), 16)`).Scan(&channel); err != nil {
		return err
	}
	// Named so that an operator (or a test) can tell it among the sessions.
	if _, err := c.Exec(ctx, "SELECT set_config('application_name', $1, false)", w.name()); err != nil {
		return err
	}
	// A beat touches two tables; a lock it waits for long is held by DDL
	// (a DROP SCHEMA locking both in its own order would deadlock with it),
	// so the beat gives way, and trust with it, rather than the DDL.
	if _, err := c.Exec(ctx, "SELECT set_config('lock_timeout', $1, false)", lockTimeout); err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	if _, err := c.Exec(ctx, `DELETE FROM auth_replicas WHERE seen_at < now() - CAST('`+forgetAfter+`' AS interval)`); err != nil {
		return err
	}
	// The row is committed before the first beat takes its lock: a confirm
	// does not see, nor wait for, a row still being inserted.
	if _, err := c.Exec(ctx, `INSERT INTO auth_replicas (id, generation, seen_at) VALUES ($1, 0, now())
		ON CONFLICT (id) DO NOTHING`, w.id); err != nil {
		return err
	}
	for {
		if err := w.beat(ctx, c); err != nil {
			return err
		}
		if err := w.hear(ctx, c, time.Now().Add(heartbeatEvery)); err != nil {
			return err
		}
	}
}

// name is the listening session's application_name.
func (w *authWatch) name() string { return "hubsync auth watch " + w.id }

// beat stamps this process's row and reads the generation afresh. The row
// is locked first, so the read is newer than any confirm that missed it.
func (w *authWatch) beat(ctx context.Context, c *pgx.Conn) error {
	sent := time.Now()
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `INSERT INTO auth_replicas (id, generation, seen_at) VALUES ($1, 0, now())
		ON CONFLICT (id) DO UPDATE SET seen_at = now()`, w.id); err != nil {
		return err
	}
	var g int64
	if err := tx.QueryRow(ctx, `UPDATE auth_replicas SET generation = GREATEST(generation,
		COALESCE((SELECT CAST(value AS BIGINT) FROM meta WHERE key = '`+authGenerationKey+`'), 0))
		WHERE id = $1 RETURNING generation`, w.id).Scan(&g); err != nil {
		return err
	}
	// In memory before the acknowledgement is visible to anyone.
	w.observe(g)
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	w.mu.Lock()
	w.trustUntil = sent.Add(trustLease)
	w.mu.Unlock()
	return nil
}

// hear takes in and acknowledges announced generations until the next beat.
func (w *authWatch) hear(ctx context.Context, c *pgx.Conn, until time.Time) error {
	for {
		wctx, cancel := context.WithDeadline(ctx, until)
		n, err := c.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && !c.IsClosed():
			return nil // time to beat; a timeout leaves a pgx connection usable
		default:
			return err
		}
		g, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			return fmt.Errorf("auth watch: announced generation %q: %w", n.Payload, err)
		}
		// Announcements that came in meanwhile are acknowledged together.
		for more := ctxDone(); ; {
			n, err := c.WaitForNotification(more)
			if err != nil {
				break
			}
			if h, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
				g = max(g, h)
			}
		}
		w.observe(g)
		if _, err := c.Exec(ctx, `UPDATE auth_replicas SET generation = GREATEST(generation, $2) WHERE id = $1`, w.id, g); err != nil {
			return err
		}
	}
}

// ctxDone is a context already ended: waiting on it returns only what a
// pgx connection has buffered, without touching the connection.
func ctxDone() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func (w *authWatch) observe(g int64) {
	w.mu.Lock()
	w.generation = max(w.generation, g)
	w.mu.Unlock()
}

func (w *authWatch) distrust() {
	w.mu.Lock()
	w.trustUntil = time.Time{}
	w.mu.Unlock()
}

// confirm waits, after a commit that moved the generation, until every
// other process seen within freshFor has acknowledged it. FOR SHARE waits
// for beats in flight and then reads the rows as they left them.
func (w *authWatch) confirm(ctx context.Context) {
	if w == nil {
		return
	}
	var g int64
	err := w.db.QueryRowContext(ctx, `SELECT CAST(value AS BIGINT) FROM meta WHERE key = '`+authGenerationKey+`'`).Scan(&g)
	if err != nil {
		return // the change is committed; a process that missed it re-reads within trustLease
	}
	w.observe(g)
	deadline := time.Now().Add(confirmWithin)
	for pause := 500 * time.Microsecond; ; pause = min(2*pause, 20*time.Millisecond) {
		behind, err := w.behind(ctx, g)
		if err != nil || !behind || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// behind reports whether another process seen lately holds a generation
// older than g.
func (w *authWatch) behind(ctx context.Context, g int64) (bool, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT generation, seen_at > now() - CAST('`+freshFor+`' AS interval)
		FROM auth_replicas WHERE id <> $1 FOR SHARE`, w.id)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			h     int64
			fresh bool
		)
		if err := rows.Scan(&h, &fresh); err != nil {
			return false, err
		}
		if fresh && h < g {
			return true, nil
		}
	}
	return false, rows.Err()
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
)

// Waiting for changes. The trigger Prepare installs also notifies a
// channel named like it (once per writing transaction: PostgreSQL folds
// identical notifications), so the hub can wait for a table's changes
// instead of polling it. A waiter keeps one connection of its own per
// table, outside the pool, listening between calls: a notification sent
// while no call waits is kept by the connection and ends the next wait
// at once, so none is lost between calls.

// listeners are a Connector's listening connections, by database URL and
// channel.
type listeners struct {
	mu    sync.Mutex
	byKey map[[32]byte]*listener
}

type listener struct {
	mu       sync.Mutex // one wait at a time
	conn     *pgx.Conn
	lastUsed time.Time
}

// listenIdle is how long a listening connection no one waits on is kept.
const listenIdle = 2 * time.Minute

// maxWait bounds one WaitForChanges.
const maxWait = 25 * time.Second

// notifySQL says whether the table's trigger is Prepare's, enabled, and
// notifies.
const notifySQL = `SELECT EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
	WHERE tg.tgrelid = to_regclass($1) AND tg.tgname = $2 AND tg.tgenabled IN ('O', 'A') AND p.prosrc LIKE '%pg_notify%')`

// WaitForChanges waits, up to wait (at most 25s), until the table has rows
// changed after cursor: moved says it has. ok is false when the table has
// no notifying trigger (install_trigger=true and Prepare again add it), or
// another call waits on the same table; the caller polls then.
func (c *Connector) WaitForChanges(ctx context.Context, t connector.Target, cred connector.Credential, object, cursor string, wait time.Duration) (moved, ok bool, err error) {
	ses, err := c.open(ctx, t, cred, false)
	if err != nil {
		return false, false, err
	}
	var notifies bool
	if err := ses.entry.pool.QueryRow(ctx, notifySQL, ses.s.table.sql(), ses.touchName()).Scan(&notifies); err != nil {
		return false, false, ses.failure(err)
	}
	if !notifies {
		return false, false, nil
	}
	l, err := c.listen.get(ctx, ses)
	if err != nil {
		return false, false, err
	}
	if !l.mu.TryLock() {
		return false, false, nil
	}
	defer l.mu.Unlock()
	// Notifications heard before now are old news: forget them. Listening
	// already, a change from now on is heard; one made before is found by
	// pending.
	if err := l.drain(ctx); err != nil {
		c.listen.drop(ses, l)
		return false, true, ses.failure(err)
	}
	if pending, err := ses.pending(ctx, cursor); err != nil || pending {
		return pending, true, err
	}
	wctx, cancel := context.WithTimeout(ctx, min(wait, maxWait))
	defer cancel()
	_, err = l.conn.WaitForNotification(wctx)
	switch {
	case err == nil:
		return true, true, nil
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && !l.conn.IsClosed():
		return false, true, nil
	}
	c.listen.drop(ses, l)
	return false, true, ses.failure(err)
}

// pending says whether rows follow cursor, whatever the horizon.
func (ses *session) pending(ctx context.Context, cursor string) (bool, error) {
	where := fmt.Sprintf("t.%s IS NOT NULL", ses.upd.quoted)
	var args []any
	if cursor != "" {
		p, err := decodeCursor(cursor)
		if err != nil {
			return false, err
		}
		where = fmt.Sprintf("(t.%s, t.%s) > ($1::%s, $2::%s)", ses.upd.quoted, ses.key.quoted, ses.upd.typ, ses.key.typ)
		args = append(args, p.Updated.UTC().Format(time.RFC3339Nano), p.Key)
	}
	var found bool
	err := ses.entry.pool.QueryRow(ctx, fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s AS t WHERE %s)", ses.meta.quoted, where), args...).Scan(&found)
	if err != nil {
		return false, ses.failure(err)
	}
	return found, nil
}

// drain reads the notifications the connection holds. A timeout leaves a
// pgx connection usable; only another error means it broke.
func (l *listener) drain(ctx context.Context) error {
	for {
		dctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		_, err := l.conn.WaitForNotification(dctx)
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && !l.conn.IsClosed():
			return nil
		default:
			return err
		}
	}
}

func listenKey(ses *session) [32]byte {
	return poolKey(ses.s.cfg.ConnString() + "\x00" + ses.touchName())
}

// get returns the listener of the session's table, connecting and
// listening if need be, and closes those idle too long.
func (ls *listeners) get(ctx context.Context, ses *session) (*listener, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	now := time.Now()
	for k, l := range ls.byKey {
		if now.Sub(l.lastUsed) > listenIdle && l.mu.TryLock() {
			delete(ls.byKey, k)
			go l.conn.Close(context.Background())
			l.mu.Unlock()
		}
	}
	key := listenKey(ses)
	if l, ok := ls.byKey[key]; ok {
		l.lastUsed = now
		return l, nil
	}
	cfg := ses.entry.pool.Config().ConnConfig.Copy()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, ses.failure(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ses.touchName()}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, ses.failure(err)
	}
	if ls.byKey == nil {
		ls.byKey = map[[32]byte]*listener{}
	}
	l := &listener{conn: conn, lastUsed: now}
	ls.byKey[key] = l
	return l, nil
}

// drop forgets a listener whose connection failed.
func (ls *listeners) drop(ses *session, l *listener) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.byKey[listenKey(ses)] == l {
		delete(ls.byKey, listenKey(ses))
	}
	go l.conn.Close(context.Background())
}

// closeAll closes every listening connection.
func (ls *listeners) closeAll() {
	ls.mu.Lock()
	all := ls.byKey
	ls.byKey = nil
	ls.mu.Unlock()
	for _, l := range all {
		l.conn.Close(context.Background())
	}
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

func (t *tx) SignInCounter(ctx context.Context, key string) (store.SignInCounter, error) {
	if t.writable {
		// A row to lock: without it, two first failures of one key would
		// both read nothing and one count would be lost.
		if _, err := t.exec(ctx, `INSERT INTO sign_in_counters (key, failures, last_failure_at, locked_until)
			VALUES (?, 0, 0, 0) ON CONFLICT (key) DO NOTHING`, key); err != nil {
			return store.SignInCounter{}, err
		}
	}
	c := store.SignInCounter{Key: key}
	var last, locked int64
	err := t.queryRow(ctx, `SELECT failures, last_failure_at, locked_until FROM sign_in_counters
		WHERE key = ?`+t.forUpdate(), key).Scan(&c.Failures, &last, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	c.LastFailureAt, c.LockedUntil = fromMS(last), fromMS(locked)
	return c, err
}

func (t *tx) PutSignInCounter(ctx context.Context, c store.SignInCounter) error {
	_, err := t.exec(ctx, `INSERT INTO sign_in_counters (key, failures, last_failure_at, locked_until)
		VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
		last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
		c.Key, c.Failures, ms(c.LastFailureAt), ms(c.LockedUntil))
	return err
}

func (t *tx) DeleteSignInCounter(ctx context.Context, key string) error {
	_, err := t.exec(ctx, `DELETE FROM sign_in_counters WHERE key = ?`, key)
	return err
}

func (t *tx) DeleteSignInCountersBefore(ctx context.Context, before time.Time) (int, error) {
	// Counters a sign-in holds are passed over, to go next time: a sign-in
	// locks its account's counter and then its address's, and a plain
	// DELETE, locking in its own order, could hold the one and wait for the
	// other, a deadlock on PostgreSQL.
	res, err := t.exec(ctx, `DELETE FROM sign_in_counters WHERE key IN (
		SELECT key FROM sign_in_counters WHERE last_failure_at < ?`+t.forUpdateSkipLocked()+`)`, ms(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

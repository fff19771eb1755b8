// Package sqlstore implements store.Store over database/sql. The SQLite and
// PostgreSQL backends share it and differ only in their Dialect, so both pass
// the same conformance suite by construction of one code path.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// Dialect is what differs between SQL databases.
type Dialect struct {
	Name string
	// Numbered placeholders ($1, $2) instead of "?".
	Numbered bool
	// Prop is the SQL expression for a stored property's text value.
	Prop func(name string) string
	// Number casts a text expression to a number.
	Number func(expr string) string
	// ByteOrder follows a text expression that is compared or sorted, so
	// that text orders by its bytes whatever the database's collation, as it
	// does on every backend. Equality ignores it, so indexes need none.
	ByteOrder string
	// LockFeed runs before a transaction appends to the change feed, so that
	// feed sequence numbers become visible in order. Empty when writers are
	// already serial.
	LockFeed string
	// ForUpdate is appended to row reads inside write transactions.
	ForUpdate string
	// UniqueViolation reports whether err is a unique-constraint failure.
	UniqueViolation func(err error) bool
}

// Store is a store.Store over one or two database handles. SQLite writes go
// through a single connection while reads use a pool; PostgreSQL uses one pool
// for both.
type Store struct {
	write, read *sql.DB
	d           Dialect
}

// New returns a Store. read may equal write.
func New(write, read *sql.DB, d Dialect) *Store {
	return &Store{write: write, read: read, d: d}
}

func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, s.write, nil, true, fn)
}

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, s.read, &sql.TxOptions{ReadOnly: true}, false, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, writable bool, fn func(store.Tx) error) error {
	sqlTx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &tx{tx: sqlTx, d: s.d, writable: writable}
	if err := fn(t); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// tx implements store.Tx.
type tx struct {
	tx         *sql.Tx
	d          Dialect
	writable   bool
	feedLocked bool
}

// q rewrites "?" placeholders for the dialect.
func (t *tx) q(query string) string {
	if !t.d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.q(query), args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.q(query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.q(query), args...)
}

// forUpdate returns the row-locking suffix inside write transactions.
func (t *tx) forUpdate() string {
	if t.writable {
		return t.d.ForUpdate
	}
	return ""
}

// notFound turns sql.ErrNoRows into store.ErrNotFound naming what was missing.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

func (t *tx) uniqueErr(err error, what string) error {
	if err != nil && t.d.UniqueViolation(err) {
		return fmt.Errorf("%s: %w", what, store.ErrAlreadyExists)
	}
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

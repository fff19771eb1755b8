// Package sqlstore implements store.Store over database/sql. The SQLite and
// PostgreSQL backends share it and differ only in their Dialect, so both pass
// the same conformance suite by construction of one code path.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/hubsync/hubsync/internal/store"
)

// Dialect is what differs between SQL databases.
type Dialect struct {
	Name string
	// Numbered placeholders ($1, $2) instead of "?".
	Numbered bool
	// PropsIn is the placeholder that stores a record's properties, given as
	// JSON text (as binary JSON with BinaryProps); PropsOut reads them back
	// as JSON text.
	PropsIn, PropsOut string
	// BinaryProps says that PropsIn takes SQLite's binary JSON, which the
	// store writes itself (propsJSONB), instead of JSON text.
	BinaryProps bool
	// Prop is the SQL expression for a stored property's text value.
	Prop func(name string) string
	// Number casts a text expression to a number.
	Number func(expr string) string
	// Fold lowercases a text expression for comparisons that ignore case.
	// It folds ASCII letters only, on every backend alike: SQLite's lower()
	// folds no more, and PostgreSQL's would follow the database's locale,
	// so the same lookup found a record on one and not the other. Folding
	// all of Unicode is Go's job, once, where a value is stored or looked
	// up (crm folds emails so).
	Fold func(expr string) string
	// LookupColumns is the column list of the partial index that makes
	// lookups of one property's value fast, given the value's expression.
	LookupColumns func(expr string) string
	// ByteOrder follows a text expression that is compared or sorted, so
	// that text orders by its bytes whatever the database's collation, as it
	// does on every backend. Only ranges and sorts use it: equality stays on
	// the plain expression, which is what the lookup indexes hold.
	ByteOrder string
	// Unordered prefixes a sort term that the planner must not read an
	// index in order for (Query.ByValue). SQLite, which keeps no statistics,
	// walked the records in id order looking for a handful of emails, a read
	// of every record when none matched; "+" hides the ordering index from
	// it. PostgreSQL's planner weighs the choice itself.
	Unordered string
	// LockFeed returns the statement a transaction runs before it appends to
	// a feed (the change feed, the identity events), so that sequence numbers
	// become visible in order. Nil when writers are already serial.
	LockFeed func(feed int64) string
	// TypedChangeRow, when set, is the placeholder tuple of a change feed
	// row with each value cast to its column's type. The feed's rows are
	// then appended by the statement that takes its LockFeed lock
	// (lockedChanges): the lock is held to commit and every writer queues
	// for it, so taking it should cost no round trip of its own.
	TypedChangeRow string
	// AllocIDs reserves n ids of a table's identity column, in order.
	AllocIDs func(ctx context.Context, tx *sql.Tx, table string, n int) ([]int64, error)
	// LastID, when set, is a query for the last id a table's identity
	// column gave out (its one argument is the table), for a database whose
	// writer is serial and so can reserve the ids after it: a fixed query
	// that the store prepares once, where AllocIDs was parsed per batch.
	LastID string
	// Analyze refreshes the planner's statistics of the records table. The
	// store runs it as records grow from nothing, when a planner without
	// statistics would pick a wrong index. Empty when not needed.
	Analyze string
	// ForUpdate is appended to row reads inside write transactions.
	ForUpdate string
	// ForShare is appended to row reads inside write transactions that must
	// hold a row unchanged until commit while letting other readers hold it too.
	ForShare string
	// ForUpdateSkipLocked is appended to reads that claim rows for a worker
	// inside write transactions: it locks the rows and passes over those
	// another transaction holds, so replicas claim different ones.
	ForUpdateSkipLocked string
	// UniqueViolation reports whether err is a unique-constraint failure.
	UniqueViolation func(err error) bool
	// EachCount is the FROM item listing a run's counts (the JSON map in
	// r.counts) as rows of key and value; CountValue is the value as an
	// integer.
	EachCount, CountValue string
	// Arrays binds a list as one array argument, compared with = ANY(?), so
	// a lookup of many ids is one statement text whatever their number.
	// Without it a list is an IN list of placeholders.
	Arrays bool
}

// Store is a store.Store over one or two database handles. SQLite writes go
// through a single connection while reads use a pool; PostgreSQL uses one pool
// for both.
type Store struct {
	write, read *sql.DB
	d           Dialect
	growth      growth
	// readStmts are the hot queries, prepared on the read pool, and
	// writeStmts the hot writes, prepared on a single write connection; the
	// store must be migrated before New.
	readStmts, writeStmts *stmtCache
	// group queues the writes that share a commit (UpdateGrouped).
	group group
	auth  *authWatch // nil but on PostgreSQL
}

// New returns a Store. read may equal write.
func New(write, read *sql.DB, d Dialect) *Store {
	reads := append(slices.Clone(hotQueries), recordByID(d))
	s := &Store{write: write, read: read, d: d, readStmts: prepareHot(read, d, reads), auth: newAuthWatch(read, d)}
	if write != read {
		// Write transactions read too (property definitions, for one).
		s.writeStmts = prepareHot(write, d, append(hotWrites(d), reads...))
	}
	s.growth.next.Store(firstAnalyze)
	return s
}

func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, s.write, s.writeStmts, nil, true, fn)
}

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, s.read, s.readStmts, &sql.TxOptions{ReadOnly: true}, false, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, stmts *stmtCache, opts *sql.TxOptions, writable bool, fn func(store.Tx) error) error {
	sqlTx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &tx{tx: sqlTx, d: s.d, writable: writable, stmts: stmts}
	if err := fn(t); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if t.authMoved {
		s.auth.confirm(ctx)
	}
	if t.inserted > 0 && s.d.Analyze != "" && s.growth.due(t.inserted) {
		// Statistics are an optimisation: a failure here must not fail the
		// write that already committed.
		_, _ = s.write.ExecContext(ctx, s.d.Analyze)
	}
	return nil
}

// firstAnalyze is the record count after which statistics are first refreshed.
const firstAnalyze = 1000

// growth counts records this process inserted and says when statistics are
// due: after 1,000, 2,000, 4,000… so a bulk import keeps good plans at a cost
// of a few ANALYZE runs, and the database's own autovacuum takes over after.
type growth struct {
	inserted, next atomic.Int64
}

func (g *growth) due(n int) bool {
	total := g.inserted.Add(int64(n))
	next := g.next.Load()
	return total >= next && g.next.CompareAndSwap(next, 2*total)
}

func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

func (s *Store) Close() error {
	s.auth.close()
	err := errors.Join(s.readStmts.close(), s.writeStmts.close(), s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// tx implements store.Tx.
type tx struct {
	tx       *sql.Tx
	stmts    *stmtCache
	d        Dialect
	writable bool
	locked   map[int64]bool // feeds this transaction holds the lock of
	inserted int            // records inserted

	authMoved bool // the auth generation moved
}

// Feeds whose appends are ordered by LockFeed.
const (
	feedChanges  int64 = 1
	feedIdentity int64 = 2
)

// lockFeed takes a feed's lock once per transaction.
func (t *tx) lockFeed(ctx context.Context, feed int64) error {
	if t.d.LockFeed == nil || t.locked[feed] {
		return nil
	}
	if _, err := t.exec(ctx, t.d.LockFeed(feed)); err != nil {
		return fmt.Errorf("lock feed: %w", err)
	}
	t.markLocked(feed)
	return nil
}

// markLocked notes that this transaction holds a feed's lock.
func (t *tx) markLocked(feed int64) {
	if t.locked == nil {
		t.locked = map[int64]bool{}
	}
	t.locked[feed] = true
}

// q rewrites "?" placeholders for the dialect.
func (t *tx) q(query string) string { return rebind(t.d, query) }

func rebind(d Dialect, query string) string {
	if !d.Numbered {
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

// forShare returns the shared row-locking suffix inside write transactions.
func (t *tx) forShare() string {
	if t.writable {
		return t.d.ForShare
	}
	return ""
}

// forUpdateSkipLocked returns the claiming suffix inside write transactions.
func (t *tx) forUpdateSkipLocked() string {
	if t.writable {
		return t.d.ForUpdateSkipLocked
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

// scanAll reads every row of rows with scan, then closes rows.
func scanAll[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

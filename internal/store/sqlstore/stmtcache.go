package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// The driver for SQLite parses the SQL of every call again; for the OAuth
// token check that was half its time. Hot, fixed queries are therefore
// prepared once, when the store opens, on the read pool. Preparing later,
// inside a transaction, could wait forever for a connection the
// transaction itself holds.

// hotQueries are the queries the read pool prepares.
var hotQueries []string

// hot registers a query as hot and returns it.
func hot(query string) string {
	hotQueries = append(hotQueries, query)
	return query
}

// hotWrites are the statements a store with a single write connection
// (SQLite) prepares on it when it opens: the inserts of a full batch of
// records and of its change feed, and of a single record. A 100-row insert
// is a long text, and parsing it again was a tenth of a batch create.
// PostgreSQL's driver already keeps the statements it has prepared.
func hotWrites(d Dialect) []string {
	var qs []string
	if d.LastID != "" {
		qs = append(qs, d.LastID)
	}
	for _, n := range []int{1, fullBatch} {
		qs = append(qs, valuesSQL(recordsInsert, recordRow(d), n), valuesSQL(changesInsert, changeRow, n))
	}
	qs = append(qs, linkWrites()...)
	return qs
}

// fullBatch is the size of a full batch of HubSpot's API, and so the usual
// number of rows one write inserts.
const fullBatch = 100

// stmtCache holds the prepared hot queries of one handle; it is filled
// when the store opens and only read after.
type stmtCache struct {
	m map[string]*sql.Stmt
}

func prepareHot(db *sql.DB, d Dialect, queries []string) *stmtCache {
	c := &stmtCache{m: map[string]*sql.Stmt{}}
	for _, q := range queries {
		// A query that fails to prepare simply runs unprepared.
		if s, err := db.PrepareContext(context.Background(), rebind(d, q)); err == nil {
			c.m[q] = s
		}
	}
	return c
}

func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, s := range c.m {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// prepared returns the prepared form of a hot query in this transaction,
// or nil. The statement was prepared on the connection the transaction
// holds (the write connection, or one of the read pool's), which StmtContext
// then reuses; on a connection it was not prepared on, it prepares it there.
func (t *tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if t.stmts == nil {
		return nil
	}
	s, ok := t.stmts.m[query]
	if !ok {
		return nil
	}
	return t.tx.StmtContext(ctx, s)
}

// cachedQueryRow runs a query, prepared if it is hot.
func (t *tx) cachedQueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.queryRow(ctx, query, args...)
}

// cachedExec runs a statement, prepared if it is hot.
func (t *tx) cachedExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.prepared(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.exec(ctx, query, args...)
}

// cachedQuery is cachedQueryRow for queries that return rows.
func (t *tx) cachedQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.query(ctx, query, args...)
}

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

// stmtCache holds the prepared hot queries of one handle; it is filled
// when the store opens and only read after.
type stmtCache struct {
	m map[string]*sql.Stmt
}

func prepareHot(db *sql.DB, d Dialect) *stmtCache {
	c := &stmtCache{m: map[string]*sql.Stmt{}}
	for _, q := range hotQueries {
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

// prepared returns the prepared form of a hot query in this transaction;
// write transactions and other queries get nil.
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

// cachedQuery is cachedQueryRow for queries that return rows.
func (t *tx) cachedQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.query(ctx, query, args...)
}

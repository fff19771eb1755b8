package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
)

// The index FindBy matches by.
//
// FindBy compares lower(column) with the values it looks for. Without an
// index on that expression every call reads the whole table, and an
// initial sync, which matches each step's records before creating them,
// reads the table once per step while filling it: quadratic in its size.
// With create_index=true the connector creates the index the first time it
// matches by a text column, CONCURRENTLY like the one of Prepare, so writes
// go on meanwhile. Creating it is best effort: a user who may not create
// indexes on the table still matches, by reading the whole table.
//
// A table that is being filled has no statistics on the expression yet
// (autovacuum analyzes it a minute later at best), so the planner would
// guess that a few thousand values match most rows and read the table
// anyway, or, told not to, expect so many rows that it compiles the query
// with JIT, which costs more than the read. A match by an indexed column
// therefore runs with sequential scans and JIT off for its transaction.

// matchIndexes remembers, per pool, table and column, whether the index
// is there. A failed build (a cancelled run, a lock wait, another process
// building the same index) is tried again after retryMatchIndex, so one
// bad moment does not bring the whole-table reads back for good.
type matchIndexes struct {
	mu    sync.Mutex
	state map[matchIndexKey]matchIndexState
}

const retryMatchIndex = 10 * time.Minute

type matchIndexKey struct {
	entry       *poolEntry
	table, name string
}

type matchIndexState struct {
	made     bool
	failedAt time.Time
}

// lookup says whether k is settled for now and whether its index is there.
func (m *matchIndexes) lookup(k matchIndexKey) (settled, made bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.state[k]
	if !ok {
		return false, false
	}
	return st.made || time.Since(st.failedAt) < retryMatchIndex, st.made
}

func (m *matchIndexes) set(k matchIndexKey, made bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state == nil {
		m.state = map[matchIndexKey]matchIndexState{}
	}
	st := matchIndexState{made: made}
	if !made {
		st.failedAt = time.Now()
	}
	m.state[k] = st
}

// matchIndex makes sure of the index on lower(col) when the settings ask
// for indexes and the column is text, and says whether it is there. ctx is
// the caller's, not the bound of one call: on a large table the build
// takes a while.
func (c *Connector) matchIndex(ctx context.Context, ses *session, col *column) bool {
	if !ses.sc.createIndex || col.readExpr("t") != "t."+col.quoted {
		return false // lower() of a cast column would need an index on the cast
	}
	k := matchIndexKey{ses.entry, ses.s.table.sql(), col.name}
	if settled, made := c.matchIdx.lookup(k); settled {
		return made
	}
	made := false
	if schema, err := ses.schema(ctx); err == nil {
		sum := sha256.Sum256([]byte(ses.meta.name + "." + col.name))
		made = ses.createIndex(ctx, schema, "hubsync_match_"+hex.EncodeToString(sum[:4]), "lower("+col.quoted+")") == nil
	}
	c.matchIdx.set(k, made)
	return made
}

// queryIndexed runs a selectSQL query that an index serves, with
// sequential scans and JIT off (see above).
func (ses *session) queryIndexed(ctx context.Context, c *Connector, cols []*column, sql string, args ...any) ([]connector.Record, error) {
	var recs []connector.Record
	err := pgx.BeginFunc(ctx, ses.entry.pool, func(tx pgx.Tx) error {
		for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL jit = off"} {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		recs, err = ses.collect(rows, cols)
		return err
	})
	if err != nil {
		return nil, ses.readFailure(ctx, c, err, cols)
	}
	return recs, nil
}

// Package sqlite opens hubsync's embedded default store: one SQLite file in
// WAL mode, written through a single connection and read through a pool.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hubsync/hubsync/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is SQLite's SQL.
var Dialect = sqlstore.Dialect{
	Name: "sqlite",
	// Properties are kept as SQLite's binary JSON, so the expression indexes
	// and searches read values without parsing text; the store encodes it.
	PropsIn:     "?",
	BinaryProps: true,
	PropsOut:    "json(props)",
	Prop:        func(name string) string { return "json_extract(props, '$." + name + "')" },
	Number:      func(expr string) string { return "CAST(" + expr + " AS REAL)" },
	Fold:        func(expr string) string { return "lower(" + expr + ")" },
	// The type and archived columns lead although the index predicate fixes
	// them: a lookup then matches three columns by equality, more than the
	// listing index's two, and SQLite's planner, which has no statistics,
	// picks the lookup index.
	LookupColumns: func(expr string) string { return "object_type, archived, " + expr },
	// A lookup by a few values sorts what it finds (sqlstore.Dialect.Unordered).
	Unordered: "+",
	// The default collation, BINARY, already orders text by its bytes.
	ByteOrder: "",
	// One write connection makes writers serial already.
	LockFeed:        nil,
	AllocIDs:        allocIDs,
	LastID:          lastID,
	ForUpdate:       "",
	UniqueViolation: uniqueViolation,
	// Writers are serial, so no other transaction holds a row to skip.
	ForUpdateSkipLocked: "",
	Arrays:              false,
	EachCount:           "json_each(r.counts) j",
	CountValue:          "j.value",
}

// allocIDs continues the table's AUTOINCREMENT sequence, which inserting
// the ids then advances. Safe because the one writer holds the write lock.
// lastID is the last id AUTOINCREMENT gave out in a table.
const lastID = `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)`

func allocIDs(ctx context.Context, tx *sql.Tx, table string, n int) ([]int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, lastID, table).Scan(&last)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + int64(i) + 1
	}
	return ids, nil
}

func uniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	h, err := OpenHandles(ctx, path)
	return h.Store, err
}

func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate sqlite: %w", err)
	}
	return nil
}

// Package postgres opens hubsync's scale-out store on PostgreSQL, shared by
// every replica that points at the same database.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/hubsync/hubsync/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// feedLockKey names the advisory locks that order feed appends; the second
// key says which feed.
const feedLockKey = 727001

// Dialect is PostgreSQL's SQL.
var Dialect = sqlstore.Dialect{
	Name:     "postgres",
	Numbered: true,
	PropsIn:  "?",
	PropsOut: "props",
	Prop:     func(name string) string { return "(props->>'" + name + "')" },
	Number:   func(expr string) string { return "CAST(" + expr + " AS numeric)" },
	// Under the C collation lower() folds ASCII only, whatever the locale.
	Fold: func(expr string) string { return "lower((" + expr + `) COLLATE "C")` },
	// The value alone: PostgreSQL drops conditions the index predicate
	// implies, so leading type and archived columns would be left with none
	// and the index could not seek. Analyze keeps the planner choosing it.
	LookupColumns: func(expr string) string { return expr },
	// The database's collation may be linguistic; SQLite's is bytes.
	ByteOrder: ` COLLATE "C"`,
	// Identity values are handed out before commit, so without this a reader
	// could see change 11 committed while change 10 is still in flight, move
	// its cursor past 10 and never see it.
	LockFeed: func(feed int64) string {
		return fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, %d)", feedLockKey, feed)
	},
	// A VALUES list under a SELECT does not take the columns' types.
	TypedChangeRow:  "(?::text, ?::bigint, ?::text, ?::jsonb, ?::text, ?::bigint)",
	AllocIDs:        allocIDs,
	Analyze:         "ANALYZE records",
	ForUpdate:       " FOR UPDATE",
	ForShare:        " FOR SHARE",
	UniqueViolation: uniqueViolation,
	// Workers on several replicas claim due rows without waiting on each other.
	ForUpdateSkipLocked: " FOR UPDATE SKIP LOCKED",
	Arrays:              true,
	EachCount:           "jsonb_each_text(r.counts::jsonb) j",
	CountValue:          "j.value::bigint",
}

func allocIDs(ctx context.Context, tx *sql.Tx, table string, n int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func uniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Open connects to the database at url (postgres://…) and migrates it.
func Open(ctx context.Context, url string) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgresql: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return sqlstore.New(db, db, Dialect), nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// Replicas starting together take turns migrating. The lock is the
	// schema's: stores in other schemas of the database have nothing to wait
	// for, and goose polls a busy lock only every five seconds.
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT coalesce(current_schema(), '')").Scan(&schema); err != nil {
		return fmt.Errorf("current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("hubsync migrations " + schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())))
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate postgresql: %w", err)
	}
	return nil
}

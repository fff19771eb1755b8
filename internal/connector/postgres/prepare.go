package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hubsync/hubsync/internal/connector"
)

// Prepare readies the table of t for record sync, once, when a connection
// is set up or its settings change. It checks again what Check checked of
// the table for record sync (the table may have changed since): that the
// updated column is a timestamp, that the key has a unique index, and the
// deleted_column and origin_column settings. Then, as the settings ask:
//
//   - install_trigger=true installs a trigger that sets the updated column
//     to clock_timestamp() on every INSERT and UPDATE, whoever makes it, so
//     that Changes sees rows changed by plain SQL, and notifies the channel
//     of its name, so that WaitForChanges hears of them (listen.go). Without it, the
//     applications that write the table must set the column themselves.
//     It needs the TRIGGER privilege on the table and CREATE on its schema
//     (or ownership of both); the message of a refusal holds the SQL a
//     database owner can run instead.
//   - create_index=true creates the index on (updated column, key column)
//     that lets Changes read a page without sorting the table. It is built
//     CONCURRENTLY, so writes go on meanwhile; on a large table that takes
//     a while, bounded only by ctx.
//
// Installing again replaces the trigger; both steps are idempotent.
func (c *Connector) Prepare(ctx context.Context, t connector.Target, cred connector.Credential) error {
	bounded, cancel := c.bound(ctx)
	defer cancel()
	ses, err := c.open(bounded, t, cred, true)
	if err != nil {
		return err
	}
	if err := ses.writable(); err != nil {
		return err
	}
	schema, err := ses.schema(bounded)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(ses.meta.name + "." + ses.upd.name + "." + ses.key.name))
	suffix := hex.EncodeToString(sum[:4])
	if ses.sc.installTrigger {
		if err := ses.installTrigger(bounded, schema, ses.touchName()); err != nil {
			return err
		}
	}
	if ses.sc.createIndex {
		if err := ses.createIndex(ctx, schema, "hubsync_changes_"+suffix, ses.upd.quoted+", "+ses.key.quoted); err != nil {
			return err
		}
	}
	return nil
}

func (ses *session) installTrigger(ctx context.Context, schema, name string) error {
	now := "clock_timestamp()"
	if ses.upd.kind == kindTimestamp {
		// Whatever the time zone of the session that writes.
		now = "clock_timestamp() AT TIME ZONE 'UTC'"
	}
	fn := schema + "." + name
	ddl := []string{
		fmt.Sprintf(`CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $hubsync$
BEGIN
	NEW.%s := %s;
	PERFORM pg_notify('%s', '');
	RETURN NEW;
END
$hubsync$`, fn, ses.upd.quoted, now, name),
		fmt.Sprintf("DROP TRIGGER IF EXISTS %s ON %s", name, ses.meta.quoted),
		fmt.Sprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s()", name, ses.meta.quoted, fn),
	}
	err := pgx.BeginFunc(ctx, ses.entry.pool, func(tx pgx.Tx) error {
		// CREATE TRIGGER waits for the transactions using the table, and
		// while it waits it blocks every query after them.
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '5s'"); err != nil {
			return err
		}
		for _, sql := range ddl {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		script := ddl[0] + ";\n" + ddl[1] + ";\n" + ddl[2] + ";"
		switch pgErr.Code {
		case "42501", "42809": // insufficient privilege; a view, which has no BEFORE triggers
			reason := connector.ReasonScopesMissing
			if pgErr.Code == "42809" {
				reason = ReasonColumnUnsupported
			}
			return &connector.Error{
				Reason: reason, Definite: true, Detail: "TRIGGER on " + ses.meta.name,
				Message: scrub(fmt.Sprintf("user %q cannot install the trigger that keeps %q up to date (%s); the table's owner can run:\n%s",
					ses.s.user, ses.upd.name, pgErr.Message, script), ses.s.password),
				Err: scrubbed(err, ses.s.password),
			}
		}
	}
	return ses.failure(err)
}

// schema is the quoted name of the table's schema.
func (ses *session) schema(ctx context.Context) (string, error) {
	var schema string
	if err := ses.entry.pool.QueryRow(ctx,
		"SELECT quote_ident(n.nspname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
		ses.meta.oid).Scan(&schema); err != nil {
		return "", ses.failure(err)
	}
	return schema, nil
}

// createIndex creates the index name on the table's keys (an SQL list of
// columns or expressions), unless it is there and valid.
func (ses *session) createIndex(ctx context.Context, schema, name, keys string) error {
	qualified := schema + "." + name
	// A concurrent build that failed leaves an invalid index, which IF NOT
	// EXISTS would then keep.
	var valid *bool
	err := ses.entry.pool.QueryRow(ctx, "SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1))", qualified).Scan(&valid)
	if err != nil {
		return ses.failure(err)
	}
	if valid != nil && !*valid {
		if _, err := ses.entry.pool.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+qualified); err != nil {
			return ses.failure(err)
		}
	}
	_, err = ses.entry.pool.Exec(ctx, fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s)", name, ses.meta.quoted, keys))
	if err != nil {
		return ses.failure(err)
	}
	return nil
}

// Package postgres is the connector of the postgres provider: a table in an
// external PostgreSQL database, reached with a connection URL that carries
// a password when the database asks for one. It checks that the login works
// and that the table, its key and updated-at columns, and the privileges a
// two-way sync needs are there, and says precisely what is wrong when they
// are not (postgres.go). It reads changed rows (records.go) and writes rows
// in batches (write.go) over a small pool of connections per URL (pool.go),
// and can install the trigger that makes every change visible (prepare.go).
// It does not create or alter the table itself.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
)

// Reason codes this connector adds to those of package connector. Both are
// definite: the table settings point at something the database does not
// have, and retrying will not make it appear.
const (
	// ReasonTableMissing: the table (or its schema) does not exist, or the
	// name is not a table. Next step: create the table, or correct the
	// table setting of the connection.
	ReasonTableMissing = "external_table_missing"
	// ReasonColumnMissing: the table lacks the key or updated-at column.
	// Next step: add the column, or correct the key_column or
	// updated_column setting of the connection.
	ReasonColumnMissing = "external_column_missing"
)

// Privileges a two-way sync needs on the table, in the order they are
// reported.
var privileges = []string{"SELECT", "INSERT", "UPDATE"}

// DefaultTimeout bounds a call when the Connector sets no Timeout.
const DefaultTimeout = 10 * time.Second

// Connector is the postgres provider's connector. It keeps connections
// open for record sync: Close them when done. It must not be copied.
type Connector struct {
	// Timeout bounds each call: a whole Check (connecting, the queries and
	// closing), and each Changes, Get, FindBy or Apply. Zero means
	// DefaultTimeout. The caller's ctx may end it sooner.
	Timeout time.Duration

	pools    pools
	listen   listeners    // listen.go
	matchIdx matchIndexes // matchindex.go
}

// New returns the connector with the default timeout.
func New() *Connector { return &Connector{Timeout: DefaultTimeout} }

var (
	_ connector.Connector   = (*Connector)(nil)
	_ connector.FieldLister = (*Connector)(nil)
)

// Check connects with cred, proves the login works, and checks the table of
// t: that it exists, has the key and updated-at columns, that the user
// holds SELECT, INSERT and UPDATE on it, and what record sync needs of it
// (see checkSync). Identity.Account is "host:port/database", User the
// database user, Scopes the privileges held.
//
// Settings that cannot work are reported before any network call with an
// error wrapping ErrInvalidSettings (see Validate). Everything else is a
// *connector.Error; with a definite one the Identity holds what was learned
// before the failure. No error text contains the password.
func (c *Connector) Check(ctx context.Context, t connector.Target, cred connector.Credential) (connector.Identity, error) {
	s, err := parseSettings(t, cred)
	if err != nil {
		return connector.Identity{}, err
	}
	sc, err := parseSyncConfig(s, t.Config)
	if err != nil {
		return connector.Identity{}, err
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()

	conn, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return connector.Identity{}, s.classify(err)
	}
	defer func() {
		// A fresh second lets Close say goodbye to the server even when
		// ctx is what ended the check; the socket is closed either way.
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()

	id := connector.Identity{Account: s.account}
	var quotedUser string
	if err := conn.QueryRow(ctx, "SELECT current_user, quote_ident(current_user)").Scan(&id.User, &quotedUser); err != nil {
		return id, s.classify(err)
	}
	if err := s.checkSchema(ctx, conn, id.User, quotedUser); err != nil {
		return id, err
	}
	tbl, err := s.findTable(ctx, conn, id.User)
	if err != nil {
		return id, err
	}
	var missing []string
	for i, p := range privileges {
		if tbl.held[i] {
			id.Scopes = append(id.Scopes, p)
		} else {
			missing = append(missing, p)
		}
	}
	if err := s.checkColumns(ctx, conn, tbl); err != nil {
		return id, err
	}
	if len(missing) > 0 {
		list := strings.Join(missing, ", ")
		return id, &connector.Error{
			Reason:   connector.ReasonScopesMissing,
			Definite: true,
			Detail:   list + " on " + tbl.name,
			Message: fmt.Sprintf("user %q lacks %s on %s; a database owner can fix it with: GRANT %s ON %s TO %s",
				id.User, list, tbl.name, list, tbl.quoted, quotedUser),
		}
	}
	return id, checkSync(ctx, s, sc, conn)
}

// checkSync checks what record sync needs of the table beyond the key and
// updated-at columns, so that a connection that could never sync is
// refused when it is made and a check tells when the table is fixed: the
// updated column is a timestamp, the key and the origin_column have unique
// indexes, and the deleted_column and origin_column settings name columns
// of the right types.
func checkSync(ctx context.Context, s *settings, sc syncConfig, conn *pgx.Conn) error {
	meta, err := loadMeta(ctx, s, conn)
	if err != nil {
		return err
	}
	ses := &session{s: s, sc: sc, meta: meta}
	if err := ses.resolve(); err != nil {
		return err
	}
	return ses.writable()
}

// checkSchema tells a missing schema and a schema the user may not use
// apart; to_regclass would fail on the latter with "permission denied".
func (s *settings) checkSchema(ctx context.Context, conn *pgx.Conn, user, quotedUser string) error {
	if s.table.schema == "" {
		return nil
	}
	var usage bool
	var quoted string
	err := conn.QueryRow(ctx,
		"SELECT has_schema_privilege(oid, 'USAGE'), quote_ident(nspname) FROM pg_namespace WHERE nspname = $1",
		s.table.schema).Scan(&usage, &quoted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &connector.Error{
			Reason: ReasonTableMissing, Definite: true, Detail: s.table.String(),
			Message: fmt.Sprintf("schema %q does not exist in database %q, so table %s cannot be found; create it, or correct the %q setting of the connection",
				s.table.schema, s.cfg.Database, s.table, ConfigTable),
		}
	case err != nil:
		return s.classify(err)
	case !usage:
		return &connector.Error{
			Reason: connector.ReasonScopesMissing, Definite: true, Detail: "USAGE on schema " + s.table.schema,
			Message: fmt.Sprintf("user %q may not use schema %q; a database owner can fix it with: GRANT USAGE ON SCHEMA %s TO %s",
				user, s.table.schema, quoted, quotedUser),
		}
	}
	return nil
}

// table is what the database says about the configured table.
type table struct {
	oid    uint32
	name   string // schema.table, resolved through the search path if need be
	quoted string // the same, quoted for a statement
	held   []bool // per entry of privileges
}

func (s *settings) findTable(ctx context.Context, conn *pgx.Conn, user string) (table, error) {
	var tbl table
	var kind string
	sel, ins, upd := new(bool), new(bool), new(bool)
	err := conn.QueryRow(ctx, `
		SELECT c.oid, n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname),
		       c.relkind::text,
		       has_table_privilege(c.oid, 'SELECT'), has_table_privilege(c.oid, 'INSERT'), has_table_privilege(c.oid, 'UPDATE')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1)`, s.table.sql()).
		Scan(&tbl.oid, &tbl.name, &tbl.quoted, &kind, sel, ins, upd)
	if errors.Is(err, pgx.ErrNoRows) {
		msg := fmt.Sprintf("table %s does not exist in database %q; create it, or correct the %q setting of the connection",
			s.table, s.cfg.Database, ConfigTable)
		if s.table.schema == "" {
			msg = fmt.Sprintf("no table %q is on the search path of user %q in database %q; create it, or write the %q setting as schema.table",
				s.table.name, user, s.cfg.Database, ConfigTable)
		}
		return tbl, &connector.Error{Reason: ReasonTableMissing, Definite: true, Detail: s.table.String(), Message: msg}
	}
	if err != nil {
		return tbl, s.classify(err)
	}
	// Tables, partitioned tables, views and foreign tables can all be read
	// and written; an index or a sequence cannot.
	if !slices.Contains([]string{"r", "p", "v", "f"}, kind) {
		return tbl, &connector.Error{
			Reason: ReasonTableMissing, Definite: true, Detail: tbl.name,
			Message: fmt.Sprintf("%s is a %s, not a table; correct the %q setting of the connection", tbl.name, relkindName(kind), ConfigTable),
		}
	}
	tbl.held = []bool{*sel, *ins, *upd}
	return tbl, nil
}

func relkindName(kind string) string {
	switch kind {
	case "i", "I":
		return "index"
	case "S":
		return "sequence"
	case "m":
		return "materialized view"
	case "c":
		return "composite type"
	case "t":
		return "TOAST table"
	}
	return "relation of kind " + kind
}

// checkColumns reads pg_attribute rather than information_schema, which
// hides the columns a user holds no privilege on: a missing privilege must
// not be reported as a missing column.
func (s *settings) checkColumns(ctx context.Context, conn *pgx.Conn, tbl table) error {
	rows, err := conn.Query(ctx, `
		SELECT attname FROM pg_attribute
		WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attname = ANY($2)`,
		tbl.oid, []string{s.key, s.updated})
	if err != nil {
		return s.classify(err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s.classify(err)
	}
	var names, settings []string
	for _, col := range []struct{ setting, name string }{{ConfigKeyColumn, s.key}, {ConfigUpdatedColumn, s.updated}} {
		if !slices.Contains(found, col.name) {
			names = append(names, col.name)
			settings = append(settings, fmt.Sprintf("%q (the %q setting)", col.name, col.setting))
		}
	}
	if len(names) == 0 {
		return nil
	}
	noun := "column"
	if len(names) > 1 {
		noun = "columns"
	}
	return &connector.Error{
		Reason: ReasonColumnMissing, Definite: true,
		Detail: strings.Join(names, ", ") + " on " + tbl.name,
		Message: fmt.Sprintf("%s has no %s %s; add it, or correct the setting of the connection",
			tbl.name, noun, strings.Join(settings, " and ")),
	}
}

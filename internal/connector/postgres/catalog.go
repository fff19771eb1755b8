package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hubsync/hubsync/internal/connector"
)

// Keys of Target.Config that record sync reads, beside table, key_column
// and updated_column.
const (
	// ConfigDeletedColumn names a boolean or timestamp column that marks a
	// row deleted (soft delete). With it, rows where it is set (true, or
	// not NULL) come back Archived and Archive sets it; without it, Archive
	// deletes the row, and a row deleted on the database side is never seen:
	// a plain table keeps no tombstones.
	ConfigDeletedColumn = "deleted_column"
	// ConfigOriginColumn names a text column with a unique index that keeps
	// the hub's idempotency key of each row the hub created, so that a
	// replayed create updates that row instead of inserting another.
	ConfigOriginColumn = "origin_column"
	// ConfigInstallTrigger "true" makes Prepare install a trigger that sets
	// the updated column on every INSERT and UPDATE, so rows changed by any
	// SQL are seen by Changes.
	ConfigInstallTrigger = "install_trigger"
	// ConfigCreateIndex "true" makes Prepare create the index on (updated
	// column, key column) that Changes reads by, and FindBy the one on
	// lower(column) it matches a text column by (matchindex.go).
	ConfigCreateIndex = "create_index"
	// ConfigCommitLag is how far behind the database's clock Changes stays
	// (a Go duration like "5s", or seconds) when it cannot tell when rows
	// were stamped: without the trigger, or while a writer whose
	// transaction start it cannot see is open; see Changes. Default 5s.
	ConfigCommitLag = "commit_lag"
)

// DefaultCommitLag is the commit lag when the connection sets none.
const DefaultCommitLag = 5 * time.Second

// Reason codes of record sync. ReasonRecordRejected is per write and never
// breaks the connection; ReasonColumnUnsupported is definite.
const (
	// ReasonRecordRejected: the database, or the conversion to a column's
	// type, refused one write. Next step: correct the value in the hub.
	ReasonRecordRejected = connector.ReasonRecordRejected
	// ReasonColumnUnsupported: a configured column has a type or lacks an
	// index that record sync needs. Next step: the message says which.
	ReasonColumnUnsupported = "external_column_unsupported"
)

// column is what the catalog says about one column.
type column struct {
	name     string
	quoted   string
	typ      string // the type for a cast, without modifiers: varchar, not varchar(20)
	typeOID  uint32 // of the base type, for a domain
	kind     kind
	bits     int
	maxLen   int    // of varchar(n) and char(n); 0 is unbounded
	def      string // default expression; nextval(…) of an identity column
	identity byte   // 'a' always, 'd' by default, 0 none
	computed bool   // a generated column: never written
	unique   bool   // has a unique index of its own, usable by ON CONFLICT
}

// tableMeta is what the catalog says about the table of a connection.
type tableMeta struct {
	table
	cols   []*column
	byName map[string]*column
	loaded time.Time
}

func loadMeta(ctx context.Context, s *settings, conn *pgx.Conn) (*tableMeta, error) {
	tbl, err := s.findTable(ctx, conn, s.user)
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, `
		SELECT a.attname, quote_ident(a.attname), format_type(a.atttypid, NULL),
		       CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE a.atttypid END,
		       CASE WHEN ty.typtype = 'd' THEN ty.typtypmod ELSE a.atttypmod END,
		       CASE WHEN a.attidentity <> '' THEN format('nextval(%L::regclass)', pg_get_serial_sequence(a.attrelid::regclass::text, a.attname))
		            ELSE coalesce(pg_get_expr(d.adbin, d.adrelid), '') END,
		       a.attidentity::text, a.attgenerated <> '',
		       EXISTS (SELECT FROM pg_index i
		               WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
		                 AND i.indexprs IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum)
		FROM pg_attribute a
		JOIN pg_type ty ON ty.oid = a.atttypid
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, tbl.oid)
	if err != nil {
		return nil, s.classify(err)
	}
	m := &tableMeta{table: tbl, byName: map[string]*column{}, loaded: time.Now()}
	for rows.Next() {
		col := &column{}
		var typmod int32
		var identity string
		if err := rows.Scan(&col.name, &col.quoted, &col.typ, &col.typeOID, &typmod, &col.def, &identity, &col.computed, &col.unique); err != nil {
			rows.Close()
			return nil, s.classify(err)
		}
		col.kind, col.bits = kindOf(col.typeOID)
		if (col.typeOID == 1043 || col.typeOID == 1042) && typmod >= 4 {
			col.maxLen = int(typmod) - 4
		}
		if identity != "" {
			col.identity = identity[0]
		}
		m.cols = append(m.cols, col)
		m.byName[col.name] = col
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err)
	}
	return m, nil
}

// syncConfig is the part of Target.Config only record sync reads.
type syncConfig struct {
	deleted, origin string
	lag             time.Duration
	installTrigger  bool
	createIndex     bool
}

func parseSyncConfig(s *settings, config map[string]string) (syncConfig, error) {
	sc := syncConfig{lag: DefaultCommitLag}
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	taken := []string{s.key, s.updated}
	for _, opt := range []struct {
		key string
		dst *string
	}{{ConfigDeletedColumn, &sc.deleted}, {ConfigOriginColumn, &sc.origin}} {
		v := config[opt.key]
		if v == "" {
			continue
		}
		if msg := checkIdent(v); msg != "" {
			problem("the %q setting %q: %s", opt.key, v, msg)
		} else if slices.Contains(taken, v) {
			problem("the %q setting must name a column of its own, not %q", opt.key, v)
		}
		taken = append(taken, v)
		*opt.dst = v
	}
	for _, opt := range []struct {
		key string
		dst *bool
	}{{ConfigInstallTrigger, &sc.installTrigger}, {ConfigCreateIndex, &sc.createIndex}} {
		switch v := config[opt.key]; v {
		case "", "false":
		case "true":
			*opt.dst = true
		default:
			problem("the %q setting must be true or false, not %q", opt.key, v)
		}
	}
	if v := config[ConfigCommitLag]; v != "" {
		d, err := time.ParseDuration(v)
		if n, nerr := strconv.Atoi(v); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
		if err != nil || d < 0 || d > time.Hour {
			problem("the %q setting must be a duration from 0s to 1h, like 5s, not %q", ConfigCommitLag, v)
		}
		sc.lag = d
	}
	if len(problems) > 0 {
		return sc, fmt.Errorf("%w: %s", ErrInvalidSettings, strings.Join(problems, "; "))
	}
	return sc, nil
}

// session is one Reader or Writer call: settings, pool and the table.
type session struct {
	s     *settings
	sc    syncConfig
	entry *poolEntry
	meta  *tableMeta
	key   *column
	upd   *column
	del   *column // nil without soft delete
	orig  *column // nil without an origin column
}

// open parses t and cred, finds the pool and describes the table; fresh
// makes it read the catalog even if a description is cached, and so does a
// cached description that lacks a column in need (one added since).
func (c *Connector) open(ctx context.Context, t connector.Target, cred connector.Credential, fresh bool, need ...string) (*session, error) {
	s, err := parseSettings(t, cred)
	if err != nil {
		return nil, err
	}
	sc, err := parseSyncConfig(s, t.Config)
	if err != nil {
		return nil, err
	}
	entry, err := c.pool(s, cred.URL)
	if err != nil {
		return nil, s.classify(err)
	}
	ses := &session{s: s, sc: sc, entry: entry}
	cacheKey := s.table.sql()
	if !fresh {
		ses.meta = c.cachedMeta(entry, cacheKey)
		for _, name := range need {
			if ses.meta != nil && ses.meta.byName[name] == nil {
				ses.meta = nil
			}
		}
	}
	if ses.meta == nil {
		err := ses.withConn(ctx, func(conn *pgx.Conn) error {
			var err error
			ses.meta, err = loadMeta(ctx, s, conn)
			return err
		})
		if err != nil {
			return nil, err
		}
		c.storeMeta(entry, cacheKey, ses.meta)
	}
	if err := ses.resolve(); err != nil {
		c.storeMeta(entry, cacheKey, nil)
		return nil, err
	}
	return ses, nil
}

// forget drops the cached description after an error that suggests the
// table changed.
func (c *Connector) forget(ses *session) { c.storeMeta(ses.entry, ses.s.table.sql(), nil) }

// withConn runs f on a pooled connection.
func (ses *session) withConn(ctx context.Context, f func(*pgx.Conn) error) error {
	conn, err := ses.entry.pool.Acquire(ctx)
	if err != nil {
		return ses.s.classify(err)
	}
	defer conn.Release()
	return f(conn.Conn())
}

// resolve finds the configured columns and checks their types.
func (ses *session) resolve() error {
	m := ses.meta
	var missing []string
	find := func(setting, name string) *column {
		col := m.byName[name]
		if col == nil {
			missing = append(missing, fmt.Sprintf("%q (the %q setting)", name, setting))
		}
		return col
	}
	ses.key = find(ConfigKeyColumn, ses.s.key)
	ses.upd = find(ConfigUpdatedColumn, ses.s.updated)
	if ses.sc.deleted != "" {
		ses.del = find(ConfigDeletedColumn, ses.sc.deleted)
	}
	if ses.sc.origin != "" {
		ses.orig = find(ConfigOriginColumn, ses.sc.origin)
	}
	if len(missing) > 0 {
		return &connector.Error{
			Reason: ReasonColumnMissing, Definite: true, Detail: m.name,
			Message: fmt.Sprintf("%s has no column %s; add it, or correct the setting of the connection", m.name, strings.Join(missing, " and ")),
		}
	}
	unsupported := func(col *column, format string, args ...any) error {
		return &connector.Error{
			Reason: ReasonColumnUnsupported, Definite: true, Detail: col.name + " on " + m.name,
			Message: fmt.Sprintf("column %q of %s ", col.name, m.name) + fmt.Sprintf(format, args...),
		}
	}
	if k := ses.upd.kind; k != kindTimestamptz && k != kindTimestamp {
		return unsupported(ses.upd, "is %s; the %q setting must name a timestamptz or timestamp column", ses.upd.typ, ConfigUpdatedColumn)
	}
	if ses.key.computed {
		return unsupported(ses.key, "is a generated column; the %q setting must name a column the rows are identified by", ConfigKeyColumn)
	}
	if ses.del != nil {
		if k := ses.del.kind; k != kindBool && k != kindTimestamp && k != kindTimestamptz {
			return unsupported(ses.del, "is %s; the %q setting must name a boolean or timestamp column", ses.del.typ, ConfigDeletedColumn)
		}
	}
	if ses.orig != nil {
		if ses.orig.kind != kindText {
			return unsupported(ses.orig, "is %s; the %q setting must name a text column", ses.orig.typ, ConfigOriginColumn)
		}
		if !ses.orig.unique {
			return unsupported(ses.orig, "has no unique index; a database owner can add one with: CREATE UNIQUE INDEX ON %s (%s)", m.quoted, ses.orig.quoted)
		}
	}
	return nil
}

// writable reports why writes cannot go to the table, if they cannot.
func (ses *session) writable() error {
	if !ses.key.unique {
		return &connector.Error{
			Reason: ReasonColumnUnsupported, Definite: true, Detail: ses.key.name + " on " + ses.meta.name,
			Message: fmt.Sprintf("key column %q of %s has no unique index, so a row cannot be told apart from another; make it the primary key, or a database owner can add one with: CREATE UNIQUE INDEX ON %s (%s)",
				ses.key.name, ses.meta.name, ses.meta.quoted, ses.key.quoted),
		}
	}
	return nil
}

// archivedExpr is true for a soft-deleted row of t, false without soft
// delete.
func (ses *session) archivedExpr(t string) string {
	switch {
	case ses.del == nil:
		return "false"
	case ses.del.kind == kindBool:
		return "coalesce(" + t + "." + ses.del.quoted + ", false)"
	}
	return "(" + t + "." + ses.del.quoted + " IS NOT NULL)"
}

// fieldColumns resolves the fields a call reads; none means all columns.
func (ses *session) fieldColumns(fields []string) ([]*column, error) {
	if len(fields) == 0 {
		return ses.meta.cols, nil
	}
	cols := make([]*column, 0, len(fields))
	var missing []string
	for _, f := range fields {
		col := ses.meta.byName[f]
		if col == nil {
			missing = append(missing, f)
			continue
		}
		cols = append(cols, col)
	}
	if len(missing) > 0 {
		// A field a mapping names, unlike the columns the settings name:
		// the mapping is wrong, not the connection.
		return nil, connector.MappingInvalid(ses.meta.name, missing, ses.meta.names())
	}
	return cols, nil
}

// names are the table's columns in their order.
func (m *tableMeta) names() []string {
	out := make([]string, len(m.cols))
	for i, col := range m.cols {
		out[i] = col.name
	}
	return out
}

// Fields describes the connection's table (object is ignored, as in every
// call): its name and columns. Fresh reads the catalog even if a
// description is cached.
func (c *Connector) Fields(ctx context.Context, t connector.Target, cred connector.Credential, object string, fresh bool) (connector.Schema, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	ses, err := c.open(ctx, t, cred, fresh)
	if err != nil {
		return connector.Schema{}, err
	}
	return connector.Schema{Object: ses.meta.name, Fields: ses.meta.names()}, nil
}

// failure turns an error of a statement into what a call returns. A
// permission the user lacks is definite and says what to grant.
func (ses *session) failure(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" {
		return &connector.Error{
			Reason: connector.ReasonScopesMissing, Definite: true, Detail: ses.meta.name,
			Message: scrub(fmt.Sprintf("user %q may not do this on %s: %s; a database owner can grant what is missing (GRANT … ON %s TO %s)",
				ses.s.user, ses.meta.name, pgErr.Message, ses.meta.quoted, pgx.Identifier{ses.s.user}.Sanitize()), ses.s.password),
			Err: scrubbed(err, ses.s.password),
		}
	}
	return ses.s.classify(err)
}

// staleMeta says the table may have changed since it was described.
func staleMeta(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "42703", "42P01", "42804", "42883", "42P10", "42704":
		// undefined column or table, datatype mismatch, undefined function,
		// no unique index for ON CONFLICT, undefined object
		return true
	}
	return false
}

package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
)

// Reading records.
//
// A record is a row: ID is the key column as text, Props the columns by
// name in the hub's formats (see types.go; NULL is ""), UpdatedAt the
// updated column. The object argument of every call is ignored: a
// connection syncs the one table its settings name.
//
// Changes reads rows in (updated column, key) order after a cursor that
// holds both, at full microsecond precision, so rows that share a
// timestamp are neither lost nor repeated between pages. For that order to
// hold every change, the updated column must be set on every INSERT and
// UPDATE: by the applications that write the table, or by the trigger
// Prepare installs. Rows whose updated column is NULL are not read, and an
// index on (updated column, key column) keeps each page cheap (Prepare can
// create it).
//
// Late commits. A transaction can stamp a row at 10:00:01 and commit at
// 10:00:09, after another one stamped and committed a row at 10:00:05; a
// reader that saw the second row and moved its cursor past 10:00:05 would
// never see the first. So Changes never reads, and never moves the cursor,
// past a horizon: a time before which no row can still appear. It waits
// only for the transactions actually in flight that may write the table,
// never for a fixed lag, when it can tell when their rows were stamped:
//
//   - Every writer of the table holds a RowExclusiveLock (or stronger) on
//     it from the start of its statement until it commits. pg_locks shows
//     those locks to every role, so the holders are known exactly; an
//     unrelated long transaction elsewhere does not hold the sync back.
//   - With the trigger Prepare installs (and it enabled), every stamp is
//     clock_timestamp() taken while its writer holds the lock. So a writer
//     that holds no lock when the horizon is taken stamps later than that,
//     and the horizon is that instant, held back to the start of each
//     holder's transaction. The clock is read in a statement before the
//     one that looks at the locks, and the rows in a statement after, so
//     a writer either shows up, or stamps after the clock, or committed
//     before the read.
//   - Without the trigger, applications stamp rows themselves, with now()
//     (the start of a transaction that may take the lock only later) or
//     their own clock, which no catalog shows. There the horizon also
//     stays commit_lag (default 5s) behind the database's clock, as it
//     must; install_trigger=true removes that wait.
//
// Why not the snapshot's xmin alone: pg_current_snapshot() names the
// transactions in flight by xid, but a writer's xid is assigned when it
// first changes a row, after a BEFORE trigger has stamped it, and the
// snapshot says nothing of when an xid stamped its rows; reading by xid
// (xmin) instead of by time would scan the whole table, since the system
// column has no index. The lock table covers writers from their first
// statement and pairs them with their start time.
//
// PostgreSQL shows the start time of other roles' transactions only to
// members of pg_read_all_stats; a holder whose start is hidden (or a
// prepared transaction) holds the horizon commit_lag behind the clock, so
// sync as the role that writes, or grant pg_read_all_stats, for exact
// waits. Sessions with session_replication_role = replica skip the
// trigger and stamp like an application without it. A long open writer
// delays Changes (More stays false) but never makes it skip a row.
//
// Deletes. A plain table keeps no tombstones: a row deleted on the database
// side is not detected. With the deleted_column setting (a boolean or
// timestamp column, set to true or a time to mark a row deleted, and
// bumping the updated column like any change), such rows come back with
// Archived set.

var _ connector.Reader = (*Connector)(nil)

// position is what a cursor holds: the last row read.
type position struct {
	Updated time.Time `json:"u"`
	Key     string    `json:"k"`
}

func encodeCursor(p position) string {
	p.Updated = p.Updated.UTC() // RFC 3339 with every digit of the microseconds
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrInvalidCursor is returned for a cursor this connector did not make.
var ErrInvalidCursor = errors.New("invalid postgres cursor")

func decodeCursor(cursor string) (position, error) {
	var p position
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p.Updated.IsZero() {
		return p, fmt.Errorf("%w %q", ErrInvalidCursor, cursor)
	}
	return p, nil
}

// bound applies the Connector's timeout to one call.
func (c *Connector) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return context.WithTimeout(ctx, timeout)
}

// clockSQL keeps the database's clock in a setting local to the
// transaction of the batch, read before horizonSQL looks at the locks; see
// Late commits above. Autovacuum and other background workers stamp no
// rows.
const clockSQL = `SELECT set_config('hubsync.clock', clock_timestamp()::text, true)`

// horizonSQL stores the horizon in a setting local to the transaction, so
// that the next statement of the same batch reads by it without a second
// round trip. Writers are looked for on the table and on its partitions
// and inheritance children: a write straight into a partition locks only
// the partition, and the trigger cloned there stamps it all the same. $1 is commit_lag, $2 the table, $3 the name of the trigger
// Prepare installs on it.
const horizonSQL = `WITH clock AS (SELECT current_setting('hubsync.clock')::timestamptz AS now),
touched AS (SELECT EXISTS (SELECT 1 FROM pg_trigger
	WHERE tgrelid = to_regclass($2) AND tgname = $3 AND tgenabled IN ('O', 'A')) AS yes)
SELECT set_config('hubsync.horizon', (SELECT least(
	CASE WHEN touched.yes THEN clock.now ELSE clock.now - $1::interval END,
	(SELECT min(coalesce(a.xact_start, clock.now - $1::interval))
	 FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
	 WHERE l.locktype = 'relation' AND l.relation IN (SELECT to_regclass($2)
	   UNION ALL SELECT relid FROM pg_partition_tree(to_regclass($2))
	   UNION ALL SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass($2))
	   AND l.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
	   AND l.pid IS DISTINCT FROM pg_backend_pid()))
	FROM clock, touched)::text, true)`

// Changes returns rows changed after cursor, oldest first; see the notes
// at the top of this file for the order, the horizon and deletes.
func (c *Connector) Changes(ctx context.Context, t connector.Target, cred connector.Credential, object string, fields []string, cursor string, limit int) (connector.Page, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	page := connector.Page{Cursor: cursor}
	var after *position
	if cursor != "" {
		p, err := decodeCursor(cursor)
		if err != nil {
			return page, err
		}
		after = &p
	}
	if limit <= 0 {
		limit = maxBatch
	}
	ses, err := c.open(ctx, t, cred, false, fields...)
	if err != nil {
		return page, err
	}
	cols, err := ses.fieldColumns(fields)
	if err != nil {
		return page, err
	}
	key, upd := "t."+ses.key.quoted, "t."+ses.upd.quoted
	var where strings.Builder
	fmt.Fprintf(&where, "%s < current_setting('hubsync.horizon')::timestamptz::%s AND %s IS NOT NULL", upd, ses.upd.typ, key)
	args := []any{}
	if after != nil {
		fmt.Fprintf(&where, " AND (%s, %s) > ($1::%s, $2::%s)", upd, key, ses.upd.typ, ses.key.typ)
		args = append(args, after.Updated.UTC().Format(time.RFC3339Nano), after.Key)
	}
	query := ses.selectSQL(cols, where.String()) + fmt.Sprintf(" ORDER BY %s, %s LIMIT %d", upd, key, limit)

	batch := &pgx.Batch{}
	batch.Queue(clockSQL)
	batch.Queue(horizonSQL, fmt.Sprintf("%d microseconds", ses.sc.lag.Microseconds()), ses.s.table.sql(), ses.touchName())
	batch.Queue(query, args...)
	br := ses.entry.pool.SendBatch(ctx, batch)
	defer br.Close()
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return page, ses.failure(err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return page, ses.readFailure(ctx, c, err, cols)
	}
	recs, err := ses.collect(rows, cols)
	if err != nil {
		return page, ses.readFailure(ctx, c, err, cols)
	}
	if err := br.Close(); err != nil {
		return page, ses.failure(err)
	}
	page.Records = recs
	if n := len(recs); n > 0 {
		last := recs[n-1]
		page.Cursor = encodeCursor(position{Updated: last.UpdatedAt, Key: last.ID})
		page.More = n == limit
	}
	return page, nil
}

// Get returns the rows with these keys, soft-deleted ones with Archived
// set. An id that cannot be a key value (not a number for an integer key)
// matches nothing.
func (c *Connector) Get(ctx context.Context, t connector.Target, cred connector.Credential, object string, fields []string, ids []string) ([]connector.Record, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	ses, err := c.open(ctx, t, cred, false, fields...)
	if err != nil {
		return nil, err
	}
	cols, err := ses.fieldColumns(fields)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			continue
		}
		if k, err := ses.key.toDB(id); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	where := fmt.Sprintf("t.%s = ANY($1::%s[])", ses.key.quoted, ses.key.typ)
	return ses.query(ctx, c, cols, ses.selectSQL(cols, where), keys)
}

// FindBy returns the rows that are not soft-deleted whose field, in the
// hub's format, equals one of values without regard to case.
func (c *Connector) FindBy(ctx context.Context, t connector.Target, cred connector.Credential, object, field string, values []string, fields []string) ([]connector.Record, error) {
	bounded, cancel := c.bound(ctx)
	defer cancel()
	ses, err := c.open(bounded, t, cred, false, append([]string{field}, fields...)...)
	if err != nil {
		return nil, err
	}
	cols, err := ses.fieldColumns(fields)
	if err != nil {
		return nil, err
	}
	match, err := ses.fieldColumns([]string{field})
	if err != nil {
		return nil, err
	}
	indexed := c.matchIndex(ctx, ses, match[0]) // unbounded: see matchindex.go
	lowered := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			lowered = append(lowered, strings.ToLower(v))
		}
	}
	if len(lowered) == 0 {
		return nil, nil
	}
	where := fmt.Sprintf("lower(%s) = ANY($1::text[]) AND NOT %s", match[0].readExpr("t"), ses.archivedExpr("t"))
	if indexed {
		return ses.queryIndexed(bounded, c, cols, ses.selectSQL(cols, where), lowered)
	}
	return ses.query(bounded, c, cols, ses.selectSQL(cols, where), lowered)
}

// selectSQL reads the key, updated column, soft-delete flag, origin and cols of
// the rows of the table (aliased t) that match where.
func (ses *session) selectSQL(cols []*column, where string) string {
	var b strings.Builder
	origin := "''"
	if ses.orig != nil {
		origin = fmt.Sprintf("coalesce(t.%s::text, '')", ses.orig.quoted)
	}
	fmt.Fprintf(&b, "SELECT t.%s::text, t.%s, %s, %s", ses.key.quoted, ses.upd.quoted, ses.archivedExpr("t"), origin)
	for _, col := range cols {
		b.WriteString(", ")
		b.WriteString(col.readExpr("t"))
	}
	fmt.Fprintf(&b, " FROM %s AS t WHERE %s", ses.meta.quoted, where)
	return b.String()
}

func (ses *session) query(ctx context.Context, c *Connector, cols []*column, sql string, args ...any) ([]connector.Record, error) {
	rows, err := ses.entry.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, ses.readFailure(ctx, c, err, cols)
	}
	recs, err := ses.collect(rows, cols)
	if err != nil {
		return nil, ses.readFailure(ctx, c, err, cols)
	}
	return recs, nil
}

// collect reads the rows of a selectSQL query.
func (ses *session) collect(rows pgx.Rows, cols []*column) ([]connector.Record, error) {
	defer rows.Close()
	var recs []connector.Record
	dest := make([]any, 4+len(cols))
	for rows.Next() {
		var rec connector.Record
		var updated *time.Time
		dest[0], dest[1], dest[2], dest[3] = &rec.ID, &updated, &rec.Archived, &rec.Origin
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if updated != nil {
			rec.UpdatedAt = updated.UTC()
		}
		raw := rows.RawValues()[4:]
		rec.Props = make(map[string]string, len(cols))
		for i, col := range cols {
			rec.Props[col.name] = col.fromDB(raw[i])
		}
		recs = append(recs, rec)
	}
	return recs, rows.Err()
}

// readFailure is failure that also forgets the table's description when the
// error suggests it changed, so that the next call (or Apply's second
// attempt) reads the catalog again, and reads it at once to say what
// changed: a column of cols gone is the mapping's fault (mapping_invalid),
// the table or a column the settings name gone or unfit the connection's.
func (ses *session) readFailure(ctx context.Context, c *Connector, err error, cols []*column) error {
	if !staleMeta(err) {
		return ses.failure(err)
	}
	c.forget(ses)
	again := *ses
	lerr := ses.withConn(ctx, func(conn *pgx.Conn) error {
		var err error
		again.meta, err = loadMeta(ctx, ses.s, conn)
		return err
	})
	if ce := connector.AsError(lerr); lerr != nil {
		if ce.Definite {
			return ce
		}
		return ses.failure(err)
	}
	if rerr := again.resolve(); rerr != nil {
		return rerr
	}
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.name
	}
	if _, ferr := again.fieldColumns(names); ferr != nil {
		return ferr
	}
	return ses.failure(err)
}

// touchName names the trigger (and its function) that Prepare installs to
// stamp the updated column, one per table, updated column and key.
func (ses *session) touchName() string {
	sum := sha256.Sum256([]byte(ses.meta.name + "." + ses.upd.name + "." + ses.key.name))
	return "hubsync_touch_" + hex.EncodeToString(sum[:4])
}

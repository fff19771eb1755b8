package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// recordColumns are the columns scanRecord reads, in its order.
func (t *tx) recordColumns() string { return recordColumns(t.d) }

func recordColumns(d Dialect) string {
	return "id, object_type, " + d.PropsOut + ", created_at, updated_at, archived, archived_at"
}

// recordByID reads one record: what a GET by id asks, prepared once.
func recordByID(d Dialect) string {
	return `SELECT ` + recordColumns(d) + ` FROM records WHERE id = ?`
}

// identifier guards names that are spliced into SQL text: object types and
// property names in index definitions and partial-index predicates.
var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)

func checkIdent(names ...string) error {
	for _, n := range names {
		if !identifier.MatchString(n) {
			return fmt.Errorf("invalid identifier %q", n)
		}
	}
	return nil
}

func scanRecord(row interface{ Scan(...any) error }) (store.Record, error) {
	var r store.Record
	var props []byte
	var created, updated, archivedAt int64
	var archived int
	if err := row.Scan(&r.ID, &r.Type, &props, &created, &updated, &archived, &archivedAt); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt, r.ArchivedAt = fromMS(created), fromMS(updated), fromMS(archivedAt)
	r.Archived = archived != 0
	var err error
	if r.Props, err = decodeProps(props); err != nil {
		return r, fmt.Errorf("record %d properties: %w", r.ID, err)
	}
	if r.Props == nil {
		r.Props = map[string]string{}
	}
	return r, nil
}

func (t *tx) scanRecords(ctx context.Context, query string, args ...any) ([]store.Record, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanRecord)
}

func (t *tx) InsertRecords(ctx context.Context, recs []store.Record) ([]store.Record, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	// Ids are reserved first so a multi-row insert can carry them: one
	// statement per batch instead of one round trip per record.
	ids, err := t.allocIDs(ctx, "records", len(recs))
	if err != nil {
		return nil, fmt.Errorf("allocate record ids: %w", err)
	}
	out := make([]store.Record, len(recs))
	rows := make([][]any, len(recs))
	for i, r := range recs {
		r.ID = ids[i]
		rows[i] = []any{r.ID, r.Type, t.propsArg(r.Props), ms(r.CreatedAt), ms(r.UpdatedAt), b2i(r.Archived), ms(r.ArchivedAt)}
		r.CreatedAt, r.UpdatedAt, r.ArchivedAt = stored(r.CreatedAt), stored(r.UpdatedAt), stored(r.ArchivedAt)
		out[i] = r
	}
	err = t.insertRows(ctx, recordsInsert, recordRow(t.d), rows)
	if err != nil {
		return nil, t.uniqueErr(err, recs[0].Type+" record")
	}
	t.inserted += len(recs)
	return out, nil
}

// propsArg is a record's properties as the dialect's PropsIn takes them.
func (t *tx) propsArg(props map[string]string) any {
	if t.d.BinaryProps {
		return propsJSONB(props)
	}
	return string(propsJSON(props))
}

// allocIDs reserves n ids of a table, in order.
func (t *tx) allocIDs(ctx context.Context, table string, n int) ([]int64, error) {
	if t.d.LastID == "" {
		return t.d.AllocIDs(ctx, t.tx, table, n)
	}
	var last int64
	if err := t.cachedQueryRow(ctx, t.d.LastID, table).Scan(&last); err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + int64(i) + 1
	}
	return ids, nil
}

const (
	recordsInsert = `INSERT INTO records (id, object_type, props, created_at, updated_at, archived, archived_at)`
	changesInsert = `INSERT INTO changes (object_type, record_id, kind, props, source, at)`
	changeRow     = "(?, ?, ?, ?, ?, ?)"
)

// recordRow is the placeholder tuple of one row of recordsInsert.
func recordRow(d Dialect) string { return "(?, ?, " + d.PropsIn + ", ?, ?, ?, ?)" }

// rowsPerInsert keeps a multi-row insert well under every backend's limit
// on bound parameters.
const rowsPerInsert = 500

// insertRows runs head VALUES row, row… for rows, in chunks; row is the
// placeholder tuple of one row.
func (t *tx) insertRows(ctx context.Context, head, row string, rows [][]any) error {
	return t.insertChunks(ctx, func(n int) string { return valuesSQL(head, row, n) }, rows)
}

// insertChunks runs the statement that inserts n rows, given by stmt, for
// rows, in chunks.
func (t *tx) insertChunks(ctx context.Context, stmt func(n int) string, rows [][]any) error {
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), rowsPerInsert)]
		rows = rows[len(chunk):]
		args := make([]any, 0, len(chunk)*len(chunk[0]))
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := t.cachedExec(ctx, stmt(len(chunk)), args...); err != nil {
			return err
		}
	}
	return nil
}

// valuesSQL is head VALUES row, row… with n rows.
func valuesSQL(head, row string, n int) string {
	var b strings.Builder
	b.Grow(len(head) + len(" VALUES ") + n*(len(row)+2))
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

func (t *tx) UpdateRecords(ctx context.Context, recs []store.Record) error {
	stmt, err := t.tx.PrepareContext(ctx, t.q(`UPDATE records SET props = `+t.d.PropsIn+`, updated_at = ?,
		archived = ?, archived_at = ? WHERE id = ? AND object_type = ?`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range recs {
		res, err := stmt.ExecContext(ctx, t.propsArg(r.Props), ms(r.UpdatedAt), b2i(r.Archived), ms(r.ArchivedAt), r.ID, r.Type)
		if err != nil {
			return t.uniqueErr(err, fmt.Sprintf("%s record %d", r.Type, r.ID))
		}
		if err := affectedOne(res, fmt.Sprintf("%s record %d", r.Type, r.ID)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Records(ctx context.Context, objectType string, ids []int64) ([]store.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids))
	for _, id := range ids {
		args = append(args, id)
	}
	// By id alone: with the type in the query SQLite may walk the type's
	// index instead of the primary key, reading every record of the type.
	// Ids are unique across types, so the type is checked here.
	query := `SELECT ` + t.recordColumns() + ` FROM records WHERE id IN (` + placeholders(len(ids)) + `)`
	if len(ids) == 1 {
		query = recordByID(t.d)
	}
	rows, err := t.cachedQuery(ctx, query+t.forUpdate(), args...)
	if err != nil {
		return nil, err
	}
	recs, err := scanAll(rows, scanRecord)
	out := recs[:0]
	for _, r := range recs {
		if r.Type == objectType {
			out = append(out, r)
		}
	}
	return out, err
}

func (t *tx) RecordsByValue(ctx context.Context, objectType, property string, values []string) ([]store.Record, error) {
	if len(values) == 0 {
		return nil, nil
	}
	if err := checkIdent(objectType, property); err != nil {
		return nil, err
	}
	args := make([]any, len(values))
	marks := make([]string, len(values))
	for i, v := range values {
		args[i], marks[i] = v, t.d.Fold("?")
	}
	// The type and archived flag are literals so the partial indexes apply.
	return t.scanRecords(ctx, `SELECT `+t.recordColumns()+` FROM records
		WHERE object_type = '`+objectType+`' AND archived = 0
		AND `+t.d.Fold(t.d.Prop(property))+` IN (`+strings.Join(marks, ", ")+`)`+t.forUpdate(), args...)
}

func (t *tx) ListRecords(ctx context.Context, objectType string, archived bool, afterID int64, limit int) ([]store.Record, error) {
	return t.scanRecords(ctx, `SELECT `+t.recordColumns()+` FROM records
		WHERE object_type = ? AND archived = ? AND id > ? ORDER BY id LIMIT ?`,
		objectType, b2i(archived), afterID, limit)
}

func (t *tx) EnsureIndex(ctx context.Context, objectType, property string, unique bool) error {
	if err := checkIdent(objectType, property); err != nil {
		return err
	}
	kind := "INDEX"
	if unique {
		kind = "UNIQUE INDEX"
	}
	_, err := t.exec(ctx, fmt.Sprintf(`CREATE %s IF NOT EXISTS %s ON records (%s)
		WHERE object_type = '%s' AND archived = 0`, kind, indexName(objectType, property, unique),
		t.d.LookupColumns(t.d.Fold(t.d.Prop(property))), objectType))
	return t.uniqueErr(err, fmt.Sprintf("%s values of %s", objectType, property))
}

func (t *tx) AppendChanges(ctx context.Context, cs []store.Change) error {
	if len(cs) == 0 {
		return nil
	}
	rows := make([][]any, len(cs))
	for i, c := range cs {
		props := propsJSON(c.Props)
		rows[i] = []any{c.ObjectType, c.RecordID, c.Kind, string(props), c.Source, ms(c.At)}
	}
	if t.d.TypedChangeRow != "" && t.d.LockFeed != nil && !t.locked[feedChanges] {
		if err := t.insertChunks(ctx, lockedChanges(t.d), rows); err != nil {
			return err
		}
		t.markLocked(feedChanges)
		return nil
	}
	if err := t.lockFeed(ctx, feedChanges); err != nil {
		return err
	}
	return t.insertRows(ctx, changesInsert, changeRow, rows)
}

// lockedChanges is the statement that appends n changes after taking the
// change feed's lock. The rows come out of a join with the lock's one row,
// so none of them is numbered before the lock is held.
func lockedChanges(d Dialect) func(n int) string {
	head := `WITH feed_lock AS MATERIALIZED (` + d.LockFeed(feedChanges) + `) ` +
		changesInsert + ` SELECT v.* FROM feed_lock, (`
	return func(n int) string { return valuesSQL(head, d.TypedChangeRow, n) + `) AS v` }
}

func (t *tx) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := t.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&seq)
	return seq, err
}

func (t *tx) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	rows, err := t.query(ctx, `SELECT seq, object_type, record_id, kind, props, source, at
		FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	return scanChanges(rows)
}

func (t *tx) PropertyChanges(ctx context.Context, recordIDs []int64, property string, limit int) ([]store.Change, error) {
	if err := checkIdent(property); err != nil {
		return nil, fmt.Errorf("property: %w", err)
	}
	if len(recordIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(recordIDs)+1)
	for _, id := range recordIDs {
		args = append(args, id)
	}
	// One statement for every record: each record's changes are numbered
	// newest first and the newest limit kept, so a busy record does not
	// crowd out the others.
	rows, err := t.query(ctx, `SELECT seq, object_type, record_id, kind, props, source, at FROM (
		SELECT seq, object_type, record_id, kind, props, source, at,
			row_number() OVER (PARTITION BY record_id ORDER BY seq DESC) AS newest
		FROM changes WHERE record_id IN (`+placeholders(len(recordIDs))+`) AND `+t.d.Prop(property)+` IS NOT NULL) AS h
		WHERE newest <= ? ORDER BY record_id, seq DESC`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanChanges(rows)
}

func scanChanges(rows *sql.Rows) ([]store.Change, error) {
	defer rows.Close()
	var cs []store.Change
	for rows.Next() {
		var c store.Change
		var props []byte
		var at int64
		if err := rows.Scan(&c.Seq, &c.ObjectType, &c.RecordID, &c.Kind, &props, &c.Source, &at); err != nil {
			return nil, err
		}
		c.At = fromMS(at)
		var err error
		if c.Props, err = decodeProps(props); err != nil {
			return nil, fmt.Errorf("change %d: %w", c.Seq, err)
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// maxIdent is the longest identifier PostgreSQL keeps; it cuts longer ones.
const maxIdent = 63

// indexName names the index EnsureIndex makes. IF NOT EXISTS goes by name
// alone, so two indexes must never share one: the name ends in a hash of
// what it indexes, because a readable name is ambiguous ("line_items" + "sku"
// and "line" + "items_sku") and PostgreSQL would cut a long one, making the
// index on a second long property a silent no-op.
func indexName(objectType, property string, unique bool) string {
	kind := "idx"
	if unique {
		kind = "key"
	}
	sum := sha256.Sum256([]byte(objectType + "." + property + "." + kind))
	tag := "_" + kind + "_" + hex.EncodeToString(sum[:6])
	name := "records_" + objectType + "_" + property
	return name[:min(len(name), maxIdent-len(tag))] + tag
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

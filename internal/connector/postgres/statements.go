package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
)

// The statements of Apply, one per kind of write, each taking its rows as
// arrays; see write.go for what they do and why.

// stmt is one statement of Apply and the writes its rows belong to: the
// statement returns (ordinality, key, updated) per row written, the
// ordinality counting ws from 1.
type stmt struct {
	sql  string
	args []any
	ws   []*planned
	op   op
}

func (st stmt) read(br pgx.BatchResults, results []connector.WriteResult) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ord int64
		var key string
		var updated *time.Time
		if err := rows.Scan(&ord, &key, &updated); err != nil {
			return err
		}
		if ord < 1 || int(ord) > len(st.ws) {
			return fmt.Errorf("postgres: statement returned row %d of %d", ord, len(st.ws))
		}
		r := &results[st.ws[ord-1].i]
		r.ID, r.Created = key, st.op == opCreate
		if updated != nil {
			r.UpdatedAt = updated.UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if st.op == opArchive {
		// A row already gone counts as archived.
		for _, pw := range st.ws {
			if r := &results[pw.i]; r.ID == "" {
				r.ID = *pw.key
			}
		}
	}
	return nil
}

// builder assembles a statement over unnest($1::text[], …) AS u(…).
type builder struct {
	args   []any
	arrays []string // $n::text[]
	names  []string // their names in u
}

func (b *builder) array(name, elem string, v any) {
	b.args = append(b.args, v)
	b.arrays = append(b.arrays, fmt.Sprintf("$%d::%s[]", len(b.args), elem))
	b.names = append(b.names, name)
}

func (b *builder) unnest() string {
	return fmt.Sprintf("unnest(%s) WITH ORDINALITY AS u(%s, ord)", strings.Join(b.arrays, ", "), strings.Join(b.names, ", "))
}

// wcol is a column some write of a statement sets.
type wcol struct {
	col     *column
	v, h    string // names in src of its value and, unless uniform, presence
	uniform bool   // every write sets it
}

// columns finds the columns the writes set, in table order, and adds
// their arrays to b.
func (ses *session) columns(b *builder, ws []*planned) []wcol {
	var out []wcol
	for n, col := range ses.meta.cols {
		vals := make([]*string, len(ws))
		has := make([]bool, len(ws))
		count := 0
		for i, pw := range ws {
			v, ok := pw.vals[col]
			vals[i], has[i] = v, ok
			if ok {
				count++
			}
		}
		if count == 0 {
			continue
		}
		wc := wcol{col: col, v: "v" + strconv.Itoa(n), uniform: count == len(ws)}
		b.array(wc.v, "text", vals)
		if !wc.uniform {
			wc.h = "h" + strconv.Itoa(n)
			b.array(wc.h, "bool", has)
		}
		out = append(out, wc)
	}
	return out
}

// srcSQL is the CTE src: the rows of u with values cast to their types.
func srcSQL(b *builder, key string, extra []string, cols []wcol) string {
	fields := append([]string{"u.ord", key}, extra...)
	for _, wc := range cols {
		fields = append(fields, fmt.Sprintf("u.%s::%s AS %s", wc.v, wc.col.typ, wc.v))
		if !wc.uniform {
			fields = append(fields, "u."+wc.h)
		}
	}
	return fmt.Sprintf("SELECT %s FROM %s", strings.Join(fields, ", "), b.unnest())
}

// insertValue is what an insert puts in a column a write may lack: its
// default, as INSERT would.
func insertValue(wc wcol) string {
	if wc.uniform {
		return "src." + wc.v
	}
	def := wc.col.def
	if def == "" {
		def = "NULL"
	}
	return fmt.Sprintf("CASE WHEN src.%s THEN src.%s ELSE (%s)::%s END", wc.h, wc.v, def, wc.col.typ)
}

func (ses *session) overriding() string {
	if ses.key.identity == 'a' {
		return " OVERRIDING SYSTEM VALUE"
	}
	return ""
}

func (ses *session) build(o op, ws []*planned) stmt {
	switch o {
	case opCreate:
		return ses.buildCreate(ws)
	case opUpdate:
		return ses.buildUpdate(ws)
	}
	return ses.buildArchive(ws)
}

func (ses *session) keys(ws []*planned) []*string {
	keys := make([]*string, len(ws))
	for i, pw := range ws {
		keys[i] = pw.key
	}
	return keys
}

func (ses *session) buildUpdate(ws []*planned) stmt {
	b := &builder{}
	b.array("k", "text", ses.keys(ws))
	cols := ses.columns(b, ws)
	tbl, key, upd := ses.meta.quoted, ses.key.quoted, ses.upd.quoted

	set := make([]string, 0, len(cols)+1)
	insCols := []string{key}
	insVals := []string{"src.k"}
	for _, wc := range cols {
		c := wc.col.quoted
		if wc.uniform {
			set = append(set, fmt.Sprintf("%s = src.%s", c, wc.v))
		} else {
			set = append(set, fmt.Sprintf("%s = CASE WHEN src.%s THEN src.%s ELSE t.%s END", c, wc.h, wc.v, c))
		}
		insCols = append(insCols, c)
		insVals = append(insVals, insertValue(wc))
	}
	set = append(set, upd+" = clock_timestamp()")
	insCols = append(insCols, upd)
	insVals = append(insVals, "clock_timestamp()")

	sql := fmt.Sprintf(`WITH src AS (%s),
up AS (UPDATE %s AS t SET %s FROM src WHERE t.%s = src.k RETURNING src.ord, t.%s AS k, t.%s AS upd),
ins AS (INSERT INTO %s AS t (%s)%s SELECT %s FROM src WHERE src.ord NOT IN (SELECT up.ord FROM up) ORDER BY src.ord
        ON CONFLICT (%s) DO NOTHING RETURNING t.%s AS k, t.%s AS upd)
SELECT up.ord, up.k::text, up.upd FROM up
UNION ALL SELECT src.ord, ins.k::text, ins.upd FROM ins JOIN src ON src.k = ins.k`,
		srcSQL(b, fmt.Sprintf("u.k::%s AS k", ses.key.typ), nil, cols),
		tbl, strings.Join(set, ", "), key, key, upd,
		tbl, strings.Join(insCols, ", "), ses.overriding(), strings.Join(insVals, ", "),
		key, key, upd)
	return stmt{sql: sql, args: b.args, ws: ws, op: opUpdate}
}

func (ses *session) buildCreate(ws []*planned) stmt {
	b := &builder{}
	b.array("k", "text", ses.keys(ws))
	tbl, key, upd := ses.meta.quoted, ses.key.quoted, ses.upd.quoted
	keyExpr := fmt.Sprintf("u.k::%s AS k", ses.key.typ)
	if ses.key.def != "" {
		keyExpr = fmt.Sprintf("CASE WHEN u.k IS NULL THEN (%s)::%s ELSE u.k::%s END AS k", ses.key.def, ses.key.typ, ses.key.typ)
	}
	var extra []string
	insCols := []string{key}
	insVals := []string{"src.k"}
	join := "src.k = ins.k"
	returning := fmt.Sprintf("t.%s AS k, t.%s AS upd", key, upd)
	conflict, match := "", ""
	switch {
	case ses.orig != nil:
		origs := make([]string, len(ws))
		for i, pw := range ws {
			origs[i] = pw.orig
		}
		b.array("o", "text", origs)
		extra = append(extra, fmt.Sprintf("u.o::%s AS o", ses.orig.typ))
		insCols = append(insCols, ses.orig.quoted)
		insVals = append(insVals, "src.o")
		returning += fmt.Sprintf(", t.%s AS o", ses.orig.quoted)
		join = "src.o = ins.o"
		conflict, match = ses.orig.quoted, "s.o = EXCLUDED."+ses.orig.quoted
	case ses.key.def == "":
		conflict, match = key, "s.k = EXCLUDED."+key
	}
	cols := ses.columns(b, ws)
	set := make([]string, 0, len(cols)+1)
	for _, wc := range cols {
		c := wc.col.quoted
		insCols = append(insCols, c)
		insVals = append(insVals, insertValue(wc))
		if wc.uniform {
			set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", c, c))
		} else {
			// Only on a replay; the lookup is linear, but replays are rare.
			set = append(set, fmt.Sprintf("%s = CASE WHEN (SELECT s.%s FROM src s WHERE %s) THEN EXCLUDED.%s ELSE t.%s END", c, wc.h, match, c, c))
		}
	}
	set = append(set, upd+" = clock_timestamp()")
	insCols = append(insCols, upd)
	insVals = append(insVals, "clock_timestamp()")
	onConflict := ""
	if conflict != "" {
		onConflict = fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s", conflict, strings.Join(set, ", "))
	}

	// src is materialized once, so the key a default made is the same in
	// the insert and in the join that maps the rows back to the writes.
	sql := fmt.Sprintf(`WITH src AS MATERIALIZED (%s),
ins AS (INSERT INTO %s AS t (%s)%s SELECT %s FROM src ORDER BY src.ord%s RETURNING %s)
SELECT src.ord, ins.k::text, ins.upd FROM ins JOIN src ON %s`,
		srcSQL(b, keyExpr, extra, cols),
		tbl, strings.Join(insCols, ", "), ses.overriding(), strings.Join(insVals, ", "), onConflict, returning,
		join)
	return stmt{sql: sql, args: b.args, ws: ws, op: opCreate}
}

func (ses *session) buildArchive(ws []*planned) stmt {
	b := &builder{}
	b.array("k", "text", ses.keys(ws))
	src := fmt.Sprintf("SELECT u.ord, u.k::%s AS k FROM %s", ses.key.typ, b.unnest())
	tbl, key, upd := ses.meta.quoted, ses.key.quoted, ses.upd.quoted
	var sql string
	if ses.del == nil {
		sql = fmt.Sprintf(`WITH src AS (%s) DELETE FROM %s AS t USING src WHERE t.%s = src.k RETURNING src.ord, t.%s::text, NULL::timestamptz`,
			src, tbl, key, key)
	} else {
		mark := "true"
		if ses.del.kind != kindBool {
			// Keep the time of the first archive.
			mark = fmt.Sprintf("coalesce(t.%s, clock_timestamp()::%s)", ses.del.quoted, ses.del.typ)
		}
		sql = fmt.Sprintf(`WITH src AS (%s) UPDATE %s AS t SET %s = %s, %s = clock_timestamp() FROM src WHERE t.%s = src.k RETURNING src.ord, t.%s::text, t.%s`,
			src, tbl, ses.del.quoted, mark, upd, key, key, upd)
	}
	return stmt{sql: sql, args: b.args, ws: ws, op: opArchive}
}

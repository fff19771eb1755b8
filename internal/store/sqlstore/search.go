package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

func (t *tx) SearchRecords(ctx context.Context, q store.Query) ([]store.Record, int, error) {
	w, order, err := searchSQL(t.d, q)
	if err != nil {
		return nil, 0, err
	}
	var recs []store.Record
	if q.Limit > 0 {
		// One row past the page says whether it is the last; the total of
		// the last page is then known without counting, which makes a
		// lookup by a unique value one statement.
		args := append(w.args[:len(w.args):len(w.args)], q.Limit+1, q.Offset)
		recs, err = t.scanRecords(ctx, `SELECT `+t.recordColumns()+` FROM records WHERE `+w.sql.String()+
			` ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
		if err != nil {
			return nil, 0, err
		}
		if len(recs) <= q.Limit && (len(recs) > 0 || q.Offset == 0) {
			return recs, bounded(q.Offset+len(recs), q.CountUpTo), nil
		}
		recs = recs[:min(len(recs), q.Limit)]
	}
	query, args := countSQL(w, q.CountUpTo)
	var total int
	if err := t.queryRow(ctx, query, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	return recs, total, nil
}

// bounded is n, or bound when n is more and bound is set.
func bounded(n, bound int) int {
	if bound > 0 {
		return min(n, bound)
	}
	return n
}

// countSQL counts a search's matches, reading at most bound of them when
// bound is set: the count then costs at most bound index entries, however
// many records match.
func countSQL(w *where, bound int) (string, []any) {
	if bound <= 0 {
		return `SELECT count(*) FROM records WHERE ` + w.sql.String(), w.args
	}
	return `SELECT count(*) FROM (SELECT 1 FROM records WHERE ` + w.sql.String() + ` LIMIT ?) AS matches`,
		append(w.args[:len(w.args):len(w.args)], bound)
}

// searchSQL builds a search's WHERE clause and ORDER BY.
func searchSQL(d Dialect, q store.Query) (*where, string, error) {
	if err := checkIdent(q.ObjectType); err != nil {
		return nil, "", err
	}
	w := &where{}
	// The type and archived flag are literals so the partial indexes apply.
	w.sql.WriteString(fmt.Sprintf("object_type = '%s' AND archived = %d", q.ObjectType, b2i(q.Archived)))
	if err := w.groups(d, q.Groups); err != nil {
		return nil, "", err
	}
	if err := w.text(d, q.Text, q.TextFields); err != nil {
		return nil, "", err
	}
	order, err := orderBy(d, q.Sorts, q.ByValue)
	return w, order, err
}

// PageSQL is the statement that reads a page of a search, as SearchRecords
// runs it, so backend tests can check its plan.
func PageSQL(d Dialect, q store.Query) (string, []any, error) {
	w, order, err := searchSQL(d, q)
	if err != nil {
		return "", nil, err
	}
	return rebind(d, `SELECT `+recordColumns(d)+` FROM records WHERE `+w.sql.String()+` ORDER BY `+order+` LIMIT ? OFFSET ?`),
		append(w.args[:len(w.args):len(w.args)], q.Limit+1, q.Offset), nil
}

// CountSQL is the statement that counts a search's matches, as SearchRecords
// runs it, so backend tests can check its plan.
func CountSQL(d Dialect, q store.Query) (string, []any, error) {
	w, _, err := searchSQL(d, q)
	if err != nil {
		return "", nil, err
	}
	query, args := countSQL(w, q.CountUpTo)
	return rebind(d, query), args, nil
}

// where builds a WHERE clause and its arguments.
type where struct {
	sql  strings.Builder
	args []any
}

func (w *where) groups(d Dialect, groups [][]store.Cond) error {
	if len(groups) == 0 {
		return nil
	}
	w.sql.WriteString(" AND (")
	for i, g := range groups {
		if i > 0 {
			w.sql.WriteString(" OR ")
		}
		w.sql.WriteString("(")
		for j, c := range g {
			if j > 0 {
				w.sql.WriteString(" AND ")
			}
			if err := w.cond(d, c); err != nil {
				return err
			}
		}
		if len(g) == 0 {
			w.sql.WriteString("1 = 1")
		}
		w.sql.WriteString(")")
	}
	w.sql.WriteString(")")
	return nil
}

// text matches text as a substring of any of fields. Both sides are folded
// by the database (Dialect.Fold, ASCII only): folding the pattern in Go
// would fold more than the database folds the values, so not even the exact
// spelling of "Émile" would match.
func (w *where) text(d Dialect, text string, fields []store.Field) error {
	if text == "" || len(fields) == 0 {
		return nil
	}
	w.sql.WriteString(" AND (")
	for i, f := range fields {
		o, err := fieldOperand(d, f)
		if err != nil {
			return err
		}
		if i > 0 {
			w.sql.WriteString(" OR ")
		}
		w.sql.WriteString(d.Fold(o.text) + " LIKE " + d.Fold("?") + ` ESCAPE '\'`)
		w.args = append(w.args, "%"+likeEscape(text)+"%")
	}
	w.sql.WriteString(")")
	return nil
}

// operand is how one field appears in SQL: the expression compared, the
// placeholder for a value, the raw value and the value as text (both NULL
// when absent), and whether the field can be absent.
type operand struct {
	expr, raw, text, value string
	// order is expr as ranges and sorts compare it: by bytes. Equality uses
	// expr itself, which is what the lookup indexes hold, so they apply.
	order    string
	optional bool
	integer  bool
}

func fieldOperand(d Dialect, f store.Field) (operand, error) {
	column := func(c string) operand {
		return operand{expr: c, order: c, raw: c, text: "CAST(" + c + " AS TEXT)", value: "?", integer: true}
	}
	switch f.Kind {
	case store.KindID:
		return column("id"), nil
	case store.KindCreated:
		return column("created_at"), nil
	case store.KindUpdated:
		return column("updated_at"), nil
	}
	// The name is spliced into SQL text.
	if err := checkIdent(f.Name); err != nil {
		return operand{}, fmt.Errorf("field: %w", err)
	}
	p := d.Prop(f.Name)
	switch f.Kind {
	case store.KindText:
		e := d.Fold(p)
		return operand{expr: e, order: e + d.ByteOrder, raw: p, text: p, value: d.Fold("?"), optional: true}, nil
	case store.KindNumber:
		e := d.Number(p)
		return operand{expr: e, order: e, raw: p, text: p, value: d.Number("?"), optional: true}, nil
	case store.KindOrdered:
		return operand{expr: p, order: p + d.ByteOrder, raw: p, text: p, value: "?", optional: true}, nil
	}
	return operand{}, fmt.Errorf("field %s: unknown kind %d", f.Name, f.Kind)
}

func (w *where) cond(d Dialect, c store.Cond) error {
	o, err := fieldOperand(d, c.Field)
	if err != nil {
		return err
	}
	if err := w.addValues(o, c); err != nil {
		return err
	}
	orAbsent := func(s string) string {
		if o.optional {
			return "(" + o.raw + " IS NULL OR " + s + ")"
		}
		return s
	}
	switch c.Op {
	case store.OpEQ:
		w.sql.WriteString(o.expr + " = " + o.value)
	case store.OpNEQ:
		w.sql.WriteString(orAbsent(o.expr + " <> " + o.value))
	case store.OpLT, store.OpLTE, store.OpGT, store.OpGTE:
		w.sql.WriteString(o.order + " " + comparators[c.Op] + " " + o.value)
	case store.OpBetween:
		w.sql.WriteString(o.order + " BETWEEN " + o.value + " AND " + o.value)
	case store.OpIn:
		w.sql.WriteString(o.expr + " IN (" + repeatJoin(o.value, len(c.Values)) + ")")
	case store.OpNotIn:
		w.sql.WriteString(orAbsent(o.expr + " NOT IN (" + repeatJoin(o.value, len(c.Values)) + ")"))
	case store.OpHasProperty:
		w.sql.WriteString(o.raw + " IS NOT NULL")
	case store.OpNotHasProperty:
		w.sql.WriteString(o.raw + " IS NULL")
	case store.OpContainsToken:
		w.sql.WriteString(tokens(d, o.text) + " LIKE " + d.Fold("?") + ` ESCAPE '\'`)
	case store.OpNotContainsToken:
		w.sql.WriteString(orAbsent(`NOT (` + tokens(d, o.text) + " LIKE " + d.Fold("?") + ` ESCAPE '\')`))
	default:
		return fmt.Errorf("unknown operator %q", c.Op)
	}
	return nil
}

var comparators = map[store.Op]string{store.OpLT: "<", store.OpLTE: "<=", store.OpGT: ">", store.OpGTE: ">="}

// addValues appends a condition's arguments, converting integer columns and
// turning token searches into LIKE patterns.
func (w *where) addValues(o operand, c store.Cond) error {
	if c.Op == store.OpContainsToken || c.Op == store.OpNotContainsToken {
		if len(c.Values) != 1 {
			return fmt.Errorf("%s takes one value", c.Op)
		}
		w.args = append(w.args, tokenPattern(c.Values[0]))
		return nil
	}
	for _, v := range c.Values {
		if !o.integer {
			w.args = append(w.args, v)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", c.Field.Name, v)
		}
		w.args = append(w.args, n)
	}
	return nil
}

// tokenSeparators split a value into the words CONTAINS_TOKEN matches.
var tokenSeparators = []string{"@", ".", ",", "-", "_", ";", ":", "/", "(", ")", "+"}

// tokens is an SQL expression giving the value folded, with separators as
// spaces and a space at each end, so a token is " word ". It is NULL when the
// value is absent, so that not even "*" matches a record without one.
func tokens(d Dialect, text string) string {
	e := d.Fold(text)
	for _, s := range tokenSeparators {
		e = "replace(" + e + ", '" + s + "', ' ')"
	}
	return "(' ' || " + e + " || ' ')"
}

// tokenPattern turns a token, where "*" stands for any characters, into the
// LIKE pattern that finds it as a whole word. The database folds it, as it
// folds the value.
func tokenPattern(token string) string {
	t := token
	for _, s := range tokenSeparators {
		t = strings.ReplaceAll(t, s, " ")
	}
	t = strings.ReplaceAll(likeEscape(strings.TrimSpace(t)), "*", "%")
	return "% " + t + " %"
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

func repeatJoin(s string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

func orderBy(d Dialect, sorts []store.Sort, byValue bool) (string, error) {
	prefix := ""
	if byValue {
		prefix = d.Unordered
	}
	var parts []string
	for _, s := range sorts {
		o, err := fieldOperand(d, s.Field)
		if err != nil {
			return "", fmt.Errorf("sort: %w", err)
		}
		dir := " ASC"
		if s.Desc {
			dir = " DESC"
		}
		if o.optional {
			parts = append(parts, prefix+"("+o.raw+" IS NULL)")
		}
		parts = append(parts, prefix+o.order+dir)
	}
	return strings.Join(append(parts, prefix+"id ASC"), ", "), nil
}

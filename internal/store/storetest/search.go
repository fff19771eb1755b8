package storetest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

// Fields of the search fixture.
var (
	nameField    = store.Field{Name: "name", Kind: store.KindText}
	emailField   = store.Field{Name: "email", Kind: store.KindText}
	amountField  = store.Field{Name: "amount", Kind: store.KindNumber}
	closeField   = store.Field{Name: "closedate", Kind: store.KindOrdered}
	idField      = store.Field{Name: "hs_object_id", Kind: store.KindID}
	createdField = store.Field{Name: "createdate", Kind: store.KindCreated}
	updatedField = store.Field{Name: "lastmodifieddate", Kind: store.KindUpdated}
)

// fixture is a set of searchable contacts, known by label.
type fixture struct {
	ids    map[string]int64
	labels map[int64]string
	recs   map[string]store.Record
}

// msBase is the creation time of the fixture, in unix milliseconds.
const msBase = 1_700_000_000_000

// seed stores contacts A to F, which searches find; G, which is archived;
// and H, a company that a contact search never finds. A and F tie on amount,
// A and E on closedate; E has no name or amount, D and F no closedate. B's
// and E's emails order differently by bytes than by a linguistic collation.
func seed(t *testing.T, s store.Store) fixture {
	t.Helper()
	type row struct {
		label            string
		typ              string
		archived         bool
		created, updated int64 // offsets from msBase
		props            map[string]string
	}
	rows := []row{
		{"A", "contacts", false, 1000, 5000, map[string]string{"name": "Alice Smith", "email": "alice@example.com", "amount": "9", "closedate": "2024-01-05"}},
		{"B", "contacts", false, 2000, 4000, map[string]string{"name": "bob jones", "email": "bob.jones@corp.io", "amount": "10", "closedate": "2024-02-10"}},
		{"C", "contacts", false, 3000, 3000, map[string]string{"name": "CAROL", "email": "carol@example.com", "amount": "100.5", "closedate": "2023-12-31"}},
		{"D", "contacts", false, 4000, 2000, map[string]string{"name": "dave 50%_off", "amount": "-3"}},
		{"E", "contacts", false, 5000, 1000, map[string]string{"email": "bob_e@example.com", "closedate": "2024-01-05"}},
		{"F", "contacts", false, 6000, 6000, map[string]string{"name": "alice", "amount": "9.0"}},
		{"G", "contacts", true, 7000, 7000, map[string]string{"name": "Alice Archived", "amount": "9", "closedate": "2024-01-05"}},
		{"H", "companies", false, 8000, 8000, map[string]string{"name": "Alice Corp", "amount": "9", "closedate": "2024-01-05"}},
	}
	in := make([]store.Record, len(rows))
	for i, r := range rows {
		in[i] = store.Record{
			Type: r.typ, Props: r.props, Archived: r.archived,
			CreatedAt: time.UnixMilli(msBase + r.created), UpdatedAt: time.UnixMilli(msBase + r.updated),
		}
		if r.archived {
			in[i].ArchivedAt = in[i].UpdatedAt
		}
	}
	recs := insert(t, s, in...)
	f := fixture{ids: map[string]int64{}, labels: map[int64]string{}, recs: map[string]store.Record{}}
	for i, r := range recs {
		f.ids[rows[i].label] = r.ID
		f.labels[r.ID] = rows[i].label
		f.recs[rows[i].label] = storedRecord(r)
	}
	return f
}

// id is the decimal id of the fixture record with this label.
func (f fixture) id(label string) string { return strconv.FormatInt(f.ids[label], 10) }

// search runs q over contacts and returns the labels it found, in order.
func (f fixture) search(t *testing.T, s store.Store, q store.Query) (labels string, total int) {
	t.Helper()
	if q.ObjectType == "" {
		q.ObjectType = "contacts"
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	var recs []store.Record
	view(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		recs, total, err = tx.SearchRecords(ctx, q)
		return err
	})
	var b strings.Builder
	for _, r := range recs {
		l, ok := f.labels[r.ID]
		if !ok {
			l = "?"
		}
		b.WriteString(l)
	}
	return b.String(), total
}

func where(field store.Field, op store.Op, values ...string) store.Query {
	return store.Query{Groups: [][]store.Cond{{{Field: field, Op: op, Values: values}}}}
}

func testSearch(t *testing.T, s store.Store) {
	f := seed(t, s)
	ms := func(offset int64) string { return strconv.FormatInt(msBase+offset, 10) }
	// want lists labels in id order, which is also label order.
	cases := []struct {
		name string
		q    store.Query
		want string
	}{
		{"no conditions", store.Query{}, "ABCDEF"},

		{"text EQ ignores case", where(nameField, store.OpEQ, "ALICE smith"), "A"},
		{"text NEQ includes absent", where(nameField, store.OpNEQ, "alice SMITH"), "BCDEF"},
		{"text LT", where(nameField, store.OpLT, "Bob"), "AF"},
		{"text LTE", where(nameField, store.OpLTE, "BOB JONES"), "ABF"},
		{"text GT", where(nameField, store.OpGT, "carol"), "D"},
		{"text GTE", where(nameField, store.OpGTE, "carol"), "CD"},
		{"text compares bytes", where(emailField, store.OpLT, "bob_"), "AB"},
		{"text BETWEEN inclusive", where(nameField, store.OpBetween, "b", "Carol"), "BC"},
		{"text IN", where(nameField, store.OpIn, "ALICE", "carol", "nobody"), "CF"},
		{"text NOT_IN includes absent", where(nameField, store.OpNotIn, "alice", "Carol"), "ABDE"},
		{"text HAS_PROPERTY", where(nameField, store.OpHasProperty), "ABCDF"},
		{"text NOT_HAS_PROPERTY", where(nameField, store.OpNotHasProperty), "E"},
		{"token whole word", where(nameField, store.OpContainsToken, "SMITH"), "A"},
		{"token not a prefix", where(nameField, store.OpContainsToken, "smi"), ""},
		{"token first word", where(nameField, store.OpContainsToken, "alice"), "AF"},
		{"token wildcard", where(nameField, store.OpContainsToken, "ali*"), "AF"},
		{"token wildcard inside", where(nameField, store.OpContainsToken, "j*s"), "B"},
		{"token lone wildcard", where(nameField, store.OpContainsToken, "*"), "ABCDF"},
		{"token in email", where(emailField, store.OpContainsToken, "corp"), "B"},
		{"token percent is literal", where(nameField, store.OpContainsToken, "5%"), ""},
		{"token with percent", where(nameField, store.OpContainsToken, "50%"), "D"},
		{"NOT token includes absent", where(nameField, store.OpNotContainsToken, "Alice"), "BCDE"},

		{"number EQ numerically", where(amountField, store.OpEQ, "9"), "AF"},
		{"number NEQ includes absent", where(amountField, store.OpNEQ, "9.00"), "BCDE"},
		{"number LT is numeric", where(amountField, store.OpLT, "10"), "ADF"},
		{"number LTE", where(amountField, store.OpLTE, "10"), "ABDF"},
		{"number GT", where(amountField, store.OpGT, "9"), "BC"},
		{"number GTE", where(amountField, store.OpGTE, "10.0"), "BC"},
		{"number GT negative", where(amountField, store.OpGT, "-5"), "ABCDF"},
		{"number BETWEEN inclusive", where(amountField, store.OpBetween, "9", "10"), "ABF"},
		{"number IN", where(amountField, store.OpIn, "10", "100.50"), "BC"},
		{"number NOT_IN includes absent", where(amountField, store.OpNotIn, "9", "-3"), "BCE"},
		{"number HAS_PROPERTY", where(amountField, store.OpHasProperty), "ABCDF"},
		{"number NOT_HAS_PROPERTY", where(amountField, store.OpNotHasProperty), "E"},
		{"number token", where(amountField, store.OpContainsToken, "10"), "B"},
		{"number NOT token", where(amountField, store.OpNotContainsToken, "10"), "ACDEF"},

		{"ordered EQ", where(closeField, store.OpEQ, "2024-01-05"), "AE"},
		{"ordered NEQ includes absent", where(closeField, store.OpNEQ, "2024-01-05"), "BCDF"},
		{"ordered LT", where(closeField, store.OpLT, "2024-01-05"), "C"},
		{"ordered LTE", where(closeField, store.OpLTE, "2024-01-05"), "ACE"},
		{"ordered GT", where(closeField, store.OpGT, "2024-01-05"), "B"},
		{"ordered GTE", where(closeField, store.OpGTE, "2024-01-05"), "ABE"},
		{"ordered BETWEEN inclusive", where(closeField, store.OpBetween, "2023-12-31", "2024-01-05"), "ACE"},
		{"ordered IN", where(closeField, store.OpIn, "2023-12-31", "2024-02-10"), "BC"},
		{"ordered NOT_IN includes absent", where(closeField, store.OpNotIn, "2023-12-31", "2024-02-10"), "ADEF"},
		{"ordered HAS_PROPERTY", where(closeField, store.OpHasProperty), "ABCE"},
		{"ordered NOT_HAS_PROPERTY", where(closeField, store.OpNotHasProperty), "DF"},
		{"ordered token", where(closeField, store.OpContainsToken, "2024"), "ABE"},
		{"ordered NOT token", where(closeField, store.OpNotContainsToken, "2024"), "CDF"},

		{"id EQ", where(idField, store.OpEQ, f.id("B")), "B"},
		{"id NEQ", where(idField, store.OpNEQ, f.id("B")), "ACDEF"},
		{"id LT", where(idField, store.OpLT, f.id("C")), "AB"},
		{"id LTE", where(idField, store.OpLTE, f.id("C")), "ABC"},
		{"id GT", where(idField, store.OpGT, f.id("D")), "EF"},
		{"id GTE", where(idField, store.OpGTE, f.id("D")), "DEF"},
		{"id BETWEEN inclusive", where(idField, store.OpBetween, f.id("B"), f.id("D")), "BCD"},
		{"id IN", where(idField, store.OpIn, f.id("A"), f.id("F"), f.id("H")), "AF"},
		{"id NOT_IN", where(idField, store.OpNotIn, f.id("A"), f.id("F")), "BCDE"},
		{"id HAS_PROPERTY", where(idField, store.OpHasProperty), "ABCDEF"},
		{"id NOT_HAS_PROPERTY", where(idField, store.OpNotHasProperty), ""},
		{"id token", where(idField, store.OpContainsToken, f.id("C")), "C"},
		{"id NOT token", where(idField, store.OpNotContainsToken, f.id("C")), "ABDEF"},

		{"created EQ", where(createdField, store.OpEQ, ms(2000)), "B"},
		{"created NEQ", where(createdField, store.OpNEQ, ms(2000)), "ACDEF"},
		{"created LT", where(createdField, store.OpLT, ms(3000)), "AB"},
		{"created LTE", where(createdField, store.OpLTE, ms(3000)), "ABC"},
		{"created GT", where(createdField, store.OpGT, ms(4000)), "EF"},
		{"created GTE", where(createdField, store.OpGTE, ms(4000)), "DEF"},
		{"created BETWEEN inclusive", where(createdField, store.OpBetween, ms(2000), ms(4000)), "BCD"},
		{"created IN", where(createdField, store.OpIn, ms(1000), ms(6000)), "AF"},
		{"created NOT_IN", where(createdField, store.OpNotIn, ms(1000), ms(6000)), "BCDE"},
		{"created HAS_PROPERTY", where(createdField, store.OpHasProperty), "ABCDEF"},
		{"created NOT_HAS_PROPERTY", where(createdField, store.OpNotHasProperty), ""},
		{"created token", where(createdField, store.OpContainsToken, ms(2000)), "B"},
		{"created NOT token", where(createdField, store.OpNotContainsToken, ms(2000)), "ACDEF"},

		{"updated EQ", where(updatedField, store.OpEQ, ms(2000)), "D"},
		{"updated NEQ", where(updatedField, store.OpNEQ, ms(2000)), "ABCEF"},
		{"updated LT", where(updatedField, store.OpLT, ms(3000)), "DE"},
		{"updated LTE", where(updatedField, store.OpLTE, ms(3000)), "CDE"},
		{"updated GT", where(updatedField, store.OpGT, ms(4000)), "AF"},
		{"updated GTE", where(updatedField, store.OpGTE, ms(4000)), "ABF"},
		{"updated BETWEEN inclusive", where(updatedField, store.OpBetween, ms(2000), ms(4000)), "BCD"},
		{"updated IN", where(updatedField, store.OpIn, ms(1000), ms(6000)), "EF"},
		{"updated NOT_IN", where(updatedField, store.OpNotIn, ms(1000), ms(6000)), "ABCD"},
		{"updated HAS_PROPERTY", where(updatedField, store.OpHasProperty), "ABCDEF"},
		{"updated NOT_HAS_PROPERTY", where(updatedField, store.OpNotHasProperty), ""},

		{"AND within a group", store.Query{Groups: [][]store.Cond{{
			{Field: nameField, Op: store.OpContainsToken, Values: []string{"alice"}},
			{Field: closeField, Op: store.OpHasProperty},
		}}}, "A"},
		{"OR of AND groups", store.Query{Groups: [][]store.Cond{
			{{Field: nameField, Op: store.OpContainsToken, Values: []string{"alice"}}, {Field: amountField, Op: store.OpEQ, Values: []string{"9"}}},
			{{Field: closeField, Op: store.OpLT, Values: []string{"2024-01-01"}}},
			{{Field: amountField, Op: store.OpLT, Values: []string{"0"}}, {Field: closeField, Op: store.OpHasProperty}},
		}}, "ACF"},
		{"archived only", store.Query{Archived: true}, "G"},
		{"archived with condition", store.Query{Archived: true, Groups: where(amountField, store.OpEQ, "9").Groups}, "G"},
		{"other object type", store.Query{ObjectType: "companies"}, "H"},
		{"object type without records", store.Query{ObjectType: "deals"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total := f.search(t, s, tc.q)
			if got != tc.want {
				t.Errorf("found %q, want %q", got, tc.want)
			}
			if total != len(tc.want) {
				t.Errorf("total %d, want %d", total, len(tc.want))
			}
		})
	}

	// Field names are spliced into SQL text, so anything but an identifier is
	// refused wherever a field appears.
	bad := store.Field{Name: "name') IS NULL OR ('1' = '1", Kind: store.KindText}
	for what, q := range map[string]store.Query{
		"condition": where(bad, store.OpEQ, "x"),
		"sort":      {Sorts: []store.Sort{{Field: bad}}},
		"text":      {Text: "x", TextFields: []store.Field{bad}},
	} {
		q.ObjectType, q.Limit = "contacts", 10
		err := s.View(t.Context(), func(tx store.Tx) error {
			_, _, err := tx.SearchRecords(t.Context(), q)
			return err
		})
		if err == nil {
			t.Errorf("search with a bad field name in a %s succeeded, want an error", what)
		}
	}

	// Results are whole records.
	var recs []store.Record
	view(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		recs, _, err = tx.SearchRecords(ctx, store.Query{ObjectType: "contacts", Limit: 10, Groups: where(idField, store.OpIn, f.id("A"), f.id("D")).Groups})
		return err
	})
	if diff := cmp.Diff([]store.Record{f.recs["A"], f.recs["D"]}, recs, opts); diff != "" {
		t.Errorf("search results (-want +got):\n%s", diff)
	}
}

func testSearchSortAndPage(t *testing.T, s store.Store) {
	f := seed(t, s)
	sortBy := func(sorts ...store.Sort) store.Query { return store.Query{Sorts: sorts} }
	asc := func(fl store.Field) store.Sort { return store.Sort{Field: fl} }
	desc := func(fl store.Field) store.Sort { return store.Sort{Field: fl, Desc: true} }
	cases := []struct {
		name  string
		q     store.Query
		want  string
		total int
	}{
		{"no sort is id order", sortBy(), "ABCDEF", 6},
		{"number asc, absent last, ties by id", sortBy(asc(amountField)), "DAFBCE", 6},
		{"number desc, absent last, ties by id", sortBy(desc(amountField)), "CBAFDE", 6},
		{"text asc ignores case", sortBy(asc(nameField)), "FABCDE", 6},
		{"text desc", sortBy(desc(nameField)), "DCBAFE", 6},
		{"text in byte order", sortBy(asc(emailField)), "ABECDF", 6},
		{"ordered asc", sortBy(asc(closeField)), "CAEBDF", 6},
		{"ordered desc", sortBy(desc(closeField)), "BAECDF", 6},
		{"id desc", sortBy(desc(idField)), "FEDCBA", 6},
		{"created desc", sortBy(desc(createdField)), "FEDCBA", 6},
		{"updated asc", sortBy(asc(updatedField)), "EDCBAF", 6},
		{"two sorts", sortBy(asc(closeField), desc(amountField)), "CAEBFD", 6},
		{"offset and limit", store.Query{Sorts: []store.Sort{asc(createdField)}, Offset: 2, Limit: 2}, "CD", 6},
		{"last page", store.Query{Sorts: []store.Sort{desc(createdField)}, Offset: 5, Limit: 2}, "A", 6},
		{"offset past the end", store.Query{Offset: 6, Limit: 2}, "", 6},
		{"total counts every match", store.Query{Groups: where(nameField, store.OpHasProperty).Groups, Sorts: []store.Sort{desc(amountField)}, Limit: 2}, "CB", 5},
		{"bounded total stops at the bound", store.Query{Limit: 2, CountUpTo: 4}, "AB", 4},
		{"bounded total below the bound is exact", store.Query{Groups: where(nameField, store.OpHasProperty).Groups, Limit: 2, CountUpTo: 10}, "AB", 5},
		{"bounded total of a last page", store.Query{Offset: 4, Limit: 2, CountUpTo: 5}, "EF", 5},
		{"bounded total past the end", store.Query{Offset: 7, Limit: 2, CountUpTo: 10}, "", 6},
		{"count only", store.Query{Limit: -1}, "", 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total := f.search(t, s, tc.q)
			if got != tc.want || total != tc.total {
				t.Errorf("found %q of %d, want %q of %d", got, total, tc.want, tc.total)
			}
		})
	}
}

func testSearchText(t *testing.T, s store.Store) {
	f := seed(t, s)
	extra := insert(t, s,
		contact(map[string]string{"name": "Émile Zola", "email": "emile@example.fr"}),
		contact(map[string]string{"name": "100% pure"}),
	)
	for i, l := range []string{"Z", "P"} {
		f.ids[l], f.labels[extra[i].ID] = extra[i].ID, l
	}

	text := func(s string, fields ...store.Field) store.Query { return store.Query{Text: s, TextFields: fields} }
	// Every id holding this digit, so a search over the id is checked whatever
	// ids the backend assigned.
	digit := f.id("C")[len(f.id("C"))-1:]
	var withDigit strings.Builder
	for _, l := range "ABCDEFZP" {
		if strings.Contains(f.id(string(l)), digit) {
			withDigit.WriteRune(l)
		}
	}
	cases := []struct {
		name string
		q    store.Query
		want string
	}{
		{"substring ignores case", text("LIC", nameField), "AF"},
		{"any field", text("corp", nameField, emailField), "B"},
		{"field not listed", text("corp", nameField), ""},
		{"percent is literal", text("%", nameField), "DP"},
		{"underscore is literal", text("%_", nameField), "D"},
		{"backslash is literal", text(`\`, nameField), ""},
		{"non-ASCII in the same case", text("Émile", nameField), "Z"},
		{"with conditions", store.Query{Text: "e", TextFields: []store.Field{nameField}, Groups: where(amountField, store.OpHasProperty).Groups}, "ABDF"},
		{"id as text", text(digit, idField), withDigit.String()},
		{"non-ASCII token", where(nameField, store.OpContainsToken, "Émile"), "Z"},
		{"non-ASCII EQ", where(nameField, store.OpEQ, "Émile Zola"), "Z"},
		// Case is folded for ASCII only, on every backend alike.
		{"non-ASCII EQ in another case", where(nameField, store.OpEQ, "émile zola"), ""},
		{"non-ASCII in another case", text("éMILE", nameField), ""},
		{"non-ASCII token in another case", where(nameField, store.OpContainsToken, "émile"), ""},
		{"ASCII around non-ASCII", where(nameField, store.OpEQ, "Émile ZOLA"), "Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total := f.search(t, s, tc.q)
			if got != tc.want || total != len(tc.want) {
				t.Errorf("found %q of %d, want %q", got, total, tc.want)
			}
		})
	}
}

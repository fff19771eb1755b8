package api_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCreateThenGetRoundTrip(t *testing.T) {
	tests := []struct {
		objectType string
		props      map[string]any // as sent
		want       map[string]string
		notAsked   string // a stored property the read does not ask for
	}{
		{"contacts", map[string]any{"email": "Ada@Example.COM", "firstname": "Ada", "lastname": "Lovelace", "lifecyclestage": "lead"},
			map[string]string{"email": "ada@example.com", "firstname": "Ada", "lifecyclestage": "lead"}, "lastname"},
		{"companies", map[string]any{"name": "Analytical Engines", "domain": "engines.example.com", "numberofemployees": 12, "city": "London"},
			map[string]string{"name": "Analytical Engines", "numberofemployees": "12"}, "city"},
		{"deals", map[string]any{"dealname": "Engine No. 2", "amount": 1500.5, "dealstage": "qualifiedtobuy", "closedate": "2026-12-01T00:00:00Z"},
			map[string]string{"amount": "1500.5", "dealstage": "qualifiedtobuy", "closedate": "2026-12-01T00:00:00.000Z"}, "dealname"},
	}
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		for _, tt := range tests {
			t.Run(tt.objectType, func(t *testing.T) {
				created := tb.create(t, tt.objectType, tt.props)
				if _, err := strconv.ParseInt(created.ID, 10, 64); err != nil {
					t.Fatalf("id %q is not digits", created.ID)
				}
				if created.Archived || created.CreatedAt == "" || created.CreatedAt != created.UpdatedAt {
					t.Errorf("new record: archived %v, createdAt %q, updatedAt %q", created.Archived, created.CreatedAt, created.UpdatedAt)
				}
				if got := created.prop("hs_object_id"); got != created.ID {
					t.Errorf("hs_object_id %q, want the id %q", got, created.ID)
				}
				names := make([]string, 0, len(tt.want))
				for k := range tt.want {
					names = append(names, k)
				}
				got := tb.get(t, tt.objectType, created.ID, "?properties="+url.QueryEscape(strings.Join(names, ",")))
				if got.ID != created.ID || got.CreatedAt != created.CreatedAt || got.UpdatedAt != created.UpdatedAt {
					t.Errorf("read %s/%s/%s, created %s/%s/%s", got.ID, got.CreatedAt, got.UpdatedAt, created.ID, created.CreatedAt, created.UpdatedAt)
				}
				for k, want := range tt.want {
					if v := got.prop(k); v != want {
						t.Errorf("%s = %q, want %q", k, v, want)
					}
				}
				if v := got.prop(tt.notAsked); v != "<absent>" {
					t.Errorf("%s was not asked for but read %q", tt.notAsked, v)
				}
				// Asking for it returns what was stored.
				again := tb.get(t, tt.objectType, created.ID, "?properties="+tt.notAsked)
				if v, want := again.prop(tt.notAsked), tt.props[tt.notAsked]; v != want {
					t.Errorf("%s = %q, want %q", tt.notAsked, v, want)
				}
			})
		}
	})
}

// TestReadWithPropertiesAlsoReturnsDefaults follows HUBSPOT-API.md: a read
// returns the properties asked for plus createdate, hs_object_id and the
// last-modified property.
func TestReadWithPropertiesAlsoReturnsDefaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		rec := tb.create(t, "contacts", map[string]any{"email": "defaults@example.com", "firstname": "Def"})
		reads := map[string][]record{
			"get":  {tb.get(t, "contacts", rec.ID, "?properties=firstname")},
			"list": decode[listBody](t, tb.do(t, "GET", objects+"contacts?properties=firstname", nil), 200).Results,
			"search": tb.search(t, "contacts", map[string]any{"properties": []string{"firstname"},
				"filterGroups": []any{filter("hs_object_id", "EQ", rec.ID)}}).Results,
			"batch read": decode[batchBody](t, tb.do(t, "POST", objects+"contacts/batch/read", map[string]any{
				"properties": []string{"firstname"}, "inputs": []any{map[string]any{"id": rec.ID}}}), 200).Results,
		}
		for name, recs := range reads {
			t.Run(name, func(t *testing.T) {
				if len(recs) != 1 {
					t.Fatalf("%d records, want 1", len(recs))
				}
				r := recs[0]
				if r.prop("firstname") != "Def" {
					t.Errorf("firstname %q, want Def", r.prop("firstname"))
				}
				for _, name := range []string{"createdate", "hs_object_id", "lastmodifieddate"} {
					if v := r.prop(name); v == "<absent>" || v == "<nil>" {
						t.Errorf("%s is %s; a read naming properties still returns it (properties %v)", name, v, keys(r.Properties))
					}
				}
			})
		}
	})
}

func keys(m map[string]*string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestPatchChangesOnlyNamedPropertiesAndEmptyClears(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		rec := tb.create(t, "contacts", map[string]any{"email": "patch@example.com", "firstname": "Ada", "lastname": "Lovelace", "city": "London"})
		time.Sleep(3 * time.Millisecond)
		r := tb.do(t, "PATCH", objects+"contacts/"+rec.ID, map[string]any{"properties": map[string]any{"firstname": "Augusta", "city": ""}})
		patched := decode[record](t, r, 200)
		if patched.prop("firstname") != "Augusta" || patched.prop("city") != "<nil>" {
			t.Errorf("PATCH answer: firstname %q, city %q", patched.prop("firstname"), patched.prop("city"))
		}
		got := tb.get(t, "contacts", rec.ID, "?properties=email,firstname,lastname,city")
		want := map[string]string{"email": "patch@example.com", "firstname": "Augusta", "lastname": "Lovelace", "city": "<nil>"}
		for k, w := range want {
			if v := got.prop(k); v != w {
				t.Errorf("%s = %q, want %q", k, v, w)
			}
		}
		if !(got.UpdatedAt > rec.UpdatedAt) || got.CreatedAt != rec.CreatedAt {
			t.Errorf("after PATCH createdAt %s updatedAt %s; before %s %s", got.CreatedAt, got.UpdatedAt, rec.CreatedAt, rec.UpdatedAt)
		}
		// The cleared property is gone for search too.
		res := tb.search(t, "contacts", map[string]any{"filterGroups": []any{filter("city", "HAS_PROPERTY")}})
		if res.Total != 0 {
			t.Errorf("HAS_PROPERTY city found %v after clearing it", ids(res.Results))
		}
	})
}

func TestArchivedRecordIsFoundOnlyAsArchived(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		keep := tb.create(t, "deals", map[string]any{"dealname": "Keep"})
		gone := tb.create(t, "deals", map[string]any{"dealname": "Gone"})
		if r := tb.do(t, "DELETE", objects+"deals/"+gone.ID, nil); r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("DELETE: status %d, body %q; want 204 and no body", r.Status, r.Body)
		}
		e := wantError(t, tb.do(t, "GET", objects+"deals/"+gone.ID, nil), 404, "OBJECT_NOT_FOUND", "OBJECT_NOT_FOUND")
		wantMessage(t, e, gone.ID)
		wantContext(t, e, "ids", gone.ID)

		archived := tb.get(t, "deals", gone.ID, "?archived=true&properties=dealname")
		if !archived.Archived || archived.ArchivedAt == "" || archived.prop("dealname") != "Gone" {
			t.Errorf("GET ?archived=true: archived %v, archivedAt %q, dealname %q", archived.Archived, archived.ArchivedAt, archived.prop("dealname"))
		}
		wantError(t, tb.do(t, "GET", objects+"deals/"+keep.ID+"?archived=true", nil), 404, "OBJECT_NOT_FOUND", "OBJECT_NOT_FOUND")

		if live := ids(tb.listAll(t, "deals", false)); !slices.Equal(live, []string{keep.ID}) {
			t.Errorf("live list %v, want [%s]", live, keep.ID)
		}
		if arch := ids(tb.listAll(t, "deals", true)); !slices.Equal(arch, []string{gone.ID}) {
			t.Errorf("archived list %v, want [%s]", arch, gone.ID)
		}
		if res := tb.search(t, "deals", map[string]any{}); res.Total != 1 || res.Results[0].ID != keep.ID {
			t.Errorf("search found %v, want only %s", ids(res.Results), keep.ID)
		}
		wantError(t, tb.do(t, "PATCH", objects+"deals/"+gone.ID, map[string]any{"properties": map[string]any{"dealname": "Back"}}),
			404, "OBJECT_NOT_FOUND", "OBJECT_NOT_FOUND")
	})
}

func TestBatchReadReportsMissingIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		a := tb.create(t, "contacts", map[string]any{"email": "a@example.com"})
		b := tb.create(t, "contacts", map[string]any{"email": "b@example.com"})
		tests := []struct {
			name    string
			body    map[string]any
			status  int
			found   []string
			missing []string
		}{
			{"all found", map[string]any{"inputs": []any{map[string]any{"id": b.ID}, map[string]any{"id": a.ID}}},
				200, []string{b.ID, a.ID}, nil},
			{"one missing", map[string]any{"inputs": []any{map[string]any{"id": a.ID}, map[string]any{"id": "999999"}, map[string]any{"id": b.ID}}},
				207, []string{a.ID, b.ID}, []string{"999999"}},
			{"by email, one missing", map[string]any{"idProperty": "email",
				"inputs": []any{map[string]any{"id": "B@example.com"}, map[string]any{"id": "nobody@example.com"}}},
				207, []string{b.ID}, []string{"nobody@example.com"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := decode[batchBody](t, tb.do(t, "POST", objects+"contacts/batch/read", tt.body), tt.status)
				if res.Status != "COMPLETE" {
					t.Errorf("status %q, want COMPLETE", res.Status)
				}
				if got := ids(res.Results); !slices.Equal(got, tt.found) {
					t.Errorf("results %v, want %v", got, tt.found)
				}
				if tt.missing == nil {
					if res.NumErrors != 0 || len(res.Errors) != 0 {
						t.Errorf("numErrors %d, errors %v; want none", res.NumErrors, res.Errors)
					}
					return
				}
				if res.NumErrors != 1 || len(res.Errors) != 1 {
					t.Fatalf("numErrors %d, errors %v; want one", res.NumErrors, res.Errors)
				}
				e := res.Errors[0]
				if e.Status != "error" || e.Category != "OBJECT_NOT_FOUND" || !slices.Equal(e.Context["ids"], tt.missing) {
					t.Errorf("error %+v; want OBJECT_NOT_FOUND for ids %v", e, tt.missing)
				}
			})
		}
	})
}

func TestBatchUpsertByEmailReportsNew(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ada := tb.create(t, "contacts", map[string]any{"email": "ada@example.com", "firstname": "Ada"})
		upsert := map[string]any{"inputs": []any{
			map[string]any{"id": "ADA@example.com", "idProperty": "email", "properties": map[string]any{"firstname": "Augusta"}},
			map[string]any{"id": "grace@example.com", "idProperty": "email", "properties": map[string]any{"firstname": "Grace"}},
		}}
		res := decode[batchBody](t, tb.do(t, "POST", objects+"contacts/batch/upsert", upsert), 200)
		if len(res.Results) != 2 {
			t.Fatalf("%d results, want 2: %+v", len(res.Results), res.Results)
		}
		var graceID string
		for _, r := range res.Results {
			switch {
			case r.New == nil:
				t.Errorf("result %s has no \"new\"", r.ID)
			case r.ID == ada.ID:
				if *r.New {
					t.Errorf("existing contact %s reported new", r.ID)
				}
			default:
				if !*r.New {
					t.Errorf("created contact %s reported not new", r.ID)
				}
				graceID = r.ID
			}
		}
		if got := tb.get(t, "contacts", ada.ID, "?properties=firstname,email"); got.prop("firstname") != "Augusta" || got.prop("email") != "ada@example.com" {
			t.Errorf("updated contact: firstname %q, email %q", got.prop("firstname"), got.prop("email"))
		}
		if got := tb.get(t, "contacts", "grace@example.com", "?idProperty=email&properties=firstname"); got.ID != graceID || got.prop("firstname") != "Grace" {
			t.Errorf("created contact: id %s (want %s), firstname %q", got.ID, graceID, got.prop("firstname"))
		}
		// The same upsert again finds both.
		res = decode[batchBody](t, tb.do(t, "POST", objects+"contacts/batch/upsert", upsert), 200)
		for _, r := range res.Results {
			if r.New == nil || *r.New {
				t.Errorf("second upsert: %s new=%v, want false", r.ID, r.New)
			}
		}
		if n := len(tb.listAll(t, "contacts", false)); n != 2 {
			t.Errorf("%d contacts, want 2", n)
		}
	})
}

func TestListPagingVisitsEveryRecordOnce(t *testing.T) {
	const n, limit = 23, 5
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		var inputs []any
		for i := range n + 1 {
			inputs = append(inputs, map[string]any{"properties": map[string]any{"name": "Company " + strconv.Itoa(i)}})
		}
		created := decode[batchBody](t, tb.do(t, "POST", objects+"companies/batch/create", map[string]any{"inputs": inputs}), 201)
		if len(created.Results) != n+1 {
			t.Fatalf("created %d, want %d", len(created.Results), n+1)
		}
		// One archived record must not show up.
		archived := created.Results[7].ID
		if r := tb.do(t, "DELETE", objects+"companies/"+archived, nil); r.Status != 204 {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		want := map[string]bool{}
		for _, r := range created.Results {
			if r.ID != archived {
				want[r.ID] = true
			}
		}
		seen := map[string]int{}
		pages, after := 0, ""
		for {
			path := objects + "companies?limit=" + strconv.Itoa(limit)
			if after != "" {
				path += "&after=" + url.QueryEscape(after)
			}
			page := decode[listBody](t, tb.do(t, "GET", path, nil), 200)
			pages++
			if len(page.Results) > limit {
				t.Fatalf("page %d has %d results, limit %d", pages, len(page.Results), limit)
			}
			for _, r := range page.Results {
				seen[r.ID]++
			}
			if page.Paging == nil || page.Paging.Next == nil {
				break
			}
			if page.Paging.Next.After == "" {
				t.Fatal("paging.next without after")
			}
			// The link leads to the same page as the cursor.
			if pages == 1 {
				viaLink := decode[listBody](t, tb.do(t, "GET", page.Paging.Next.Link, nil), 200)
				viaAfter := decode[listBody](t, tb.do(t, "GET", path+"&after="+url.QueryEscape(page.Paging.Next.After), nil), 200)
				if !slices.Equal(ids(viaLink.Results), ids(viaAfter.Results)) {
					t.Errorf("paging.next.link gave %v, after gave %v", ids(viaLink.Results), ids(viaAfter.Results))
				}
			}
			after = page.Paging.Next.After
			if pages > n {
				t.Fatal("paging does not end")
			}
		}
		if pages != (n+limit-1)/limit {
			t.Errorf("%d pages, want %d", pages, (n+limit-1)/limit)
		}
		for id, c := range seen {
			if c != 1 || !want[id] {
				t.Errorf("record %s seen %d times (expected: %v)", id, c, want[id])
			}
		}
		if len(seen) != len(want) {
			t.Errorf("saw %d records, want %d", len(seen), len(want))
		}
	})
}

func TestSearchEQIgnoresCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ada := tb.create(t, "contacts", map[string]any{"email": "Ada@Example.com", "firstname": "Ada"})
		tb.create(t, "contacts", map[string]any{"email": "adam@example.com", "firstname": "Adam"})
		tests := []struct{ property, value string }{
			{"email", "ADA@EXAMPLE.COM"}, {"email", "Ada@Example.com"}, {"email", "ada@example.com"},
			// Not only emails, which the hub stores lowercased anyway.
			{"firstname", "ADA"}, {"firstname", "ada"},
		}
		for _, tt := range tests {
			res := tb.search(t, "contacts", map[string]any{"filterGroups": []any{filter(tt.property, "EQ", tt.value)}})
			if res.Total != 1 || !slices.Equal(ids(res.Results), []string{ada.ID}) {
				t.Errorf("%s EQ %q: total %d, ids %v; want [%s]", tt.property, tt.value, res.Total, ids(res.Results), ada.ID)
			}
		}
	})
}

func TestSearchComparesNumbersNumerically(t *testing.T) {
	amounts := []string{"9", "10", "100", "2.5", "1000"}
	tests := []struct {
		name string
		body map[string]any
		want []string // amounts, in order when sorted
	}{
		{"LT 10", map[string]any{"filterGroups": []any{filter("amount", "LT", "10")}, "sorts": []any{"amount"}}, []string{"2.5", "9"}},
		{"GTE 10", map[string]any{"filterGroups": []any{filter("amount", "GTE", "10")}, "sorts": []any{"amount"}}, []string{"10", "100", "1000"}},
		{"BETWEEN 9 and 100", map[string]any{"filterGroups": []any{filter("amount", "BETWEEN", "9", "100")}, "sorts": []any{"amount"}}, []string{"9", "10", "100"}},
		{"EQ 10.0", map[string]any{"filterGroups": []any{filter("amount", "EQ", "10.0")}}, []string{"10"}},
		{"sort ascending", map[string]any{"sorts": []any{map[string]any{"propertyName": "amount", "direction": "ASCENDING"}}},
			[]string{"2.5", "9", "10", "100", "1000"}},
		{"sort descending", map[string]any{"sorts": []any{"-amount"}}, []string{"1000", "100", "10", "9", "2.5"}},
	}
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		for _, a := range amounts {
			tb.create(t, "deals", map[string]any{"dealname": "Deal " + a, "amount": a})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.body["properties"] = []string{"amount"}
				res := tb.search(t, "deals", tt.body)
				var got []string
				for _, r := range res.Results {
					got = append(got, r.prop("amount"))
				}
				if !slices.Equal(got, tt.want) || res.Total != len(tt.want) {
					t.Errorf("amounts %v (total %d), want %v", got, res.Total, tt.want)
				}
			})
		}
	})
}

// TestNumberValuesTheHubAcceptsAreSearchable: every value a number property
// accepts must compare as the number it is, on every backend; a value the
// database cannot read as a number must be refused when written.
func TestNumberValuesTheHubAcceptsAreSearchable(t *testing.T) {
	candidates := []string{"-3", "+5", ".5", "5.", "1e3", "1E-2", "0x1p4", "1_000"}
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		var want []string
		accepted := map[string]string{} // id → amount
		for _, a := range candidates {
			r := tb.do(t, "POST", objects+"deals", map[string]any{"properties": map[string]any{"dealname": "N " + a, "amount": a}})
			switch r.Status {
			case 201:
				v, err := strconv.ParseFloat(a, 64)
				if err != nil {
					t.Fatalf("hub accepted %q: %v", a, err)
				}
				id := decode[record](t, r, 201).ID
				accepted[id] = a
				if v > 1 {
					want = append(want, id)
				}
			case 400:
				wantError(t, r, 400, "VALIDATION_ERROR", "INVALID_PROPERTY_VALUE")
			default:
				t.Fatalf("amount %q: status %d; body: %s", a, r.Status, r.Body)
			}
		}
		r := tb.do(t, "POST", objects+"deals/search", map[string]any{"filterGroups": []any{filter("amount", "GT", "1")}, "properties": []string{"amount"}})
		if r.Status != 200 {
			t.Fatalf("amount GT 1 after storing %v: status %d; body: %s\nserver log: %s", accepted, r.Status, r.Body, tb.logFor(string(r.Body)))
		}
		res := decode[searchBody](t, r, 200)
		got := ids(res.Results)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			found := map[string]string{}
			for _, r := range res.Results {
				found[r.ID] = r.prop("amount")
			}
			t.Errorf("amount GT 1 found ids %v (amounts %v), want ids %v; accepted values: %v", got, found, want, accepted)
		}
		if r := tb.do(t, "POST", objects+"deals/search", map[string]any{"sorts": []any{"amount"}}); r.Status != 200 {
			t.Errorf("sort by amount: status %d; body: %s", r.Status, r.Body)
		}
	})
}

func millis(t *testing.T, iso string) int64 {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		t.Fatalf("time %q: %v", iso, err)
	}
	return ts.UnixMilli()
}

func TestSearchBetweenOnCreatedate(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		var recs []record
		for _, name := range []string{"first", "second", "third"} {
			recs = append(recs, tb.create(t, "contacts", map[string]any{"firstname": name}))
			time.Sleep(3 * time.Millisecond)
		}
		ms := func(i int) string { return strconv.FormatInt(millis(t, recs[i].CreatedAt), 10) }
		if ms(0) == ms(1) || ms(1) == ms(2) {
			t.Fatalf("records share a creation millisecond: %s %s %s", ms(0), ms(1), ms(2))
		}
		tests := []struct {
			name      string
			low, high string
			want      []string
		}{
			{"first two", ms(0), ms(1), []string{recs[0].ID, recs[1].ID}},
			{"one millisecond", ms(1), ms(1), []string{recs[1].ID}},
			{"ISO bounds", recs[1].CreatedAt, recs[2].CreatedAt, []string{recs[1].ID, recs[2].ID}},
			{"before all", "0", strconv.FormatInt(millis(t, recs[0].CreatedAt)-1, 10), nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := tb.search(t, "contacts", map[string]any{"filterGroups": []any{filter("createdate", "BETWEEN", tt.low, tt.high)},
					"sorts": []any{"createdate"}})
				if got := ids(res.Results); !slices.Equal(got, tt.want) {
					t.Errorf("BETWEEN %s and %s: %v, want %v", tt.low, tt.high, got, tt.want)
				}
			})
		}
	})
}

func TestNoOpPatchKeepsUpdatedAt(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		rec := tb.create(t, "contacts", map[string]any{"email": "noop@example.com", "firstname": "Ada", "lastname": "Lovelace"})
		time.Sleep(5 * time.Millisecond)
		same := []struct {
			name   string
			method string
			path   string
			body   map[string]any
		}{
			{"PATCH same values", "PATCH", objects + "contacts/" + rec.ID,
				map[string]any{"properties": map[string]any{"firstname": "Ada", "lastname": "Lovelace"}}},
			{"PATCH email in other case, clearing an unset property", "PATCH", objects + "contacts/" + rec.ID,
				map[string]any{"properties": map[string]any{"email": "NoOp@Example.com", "city": ""}}},
			{"PATCH by email", "PATCH", objects + "contacts/noop@example.com?idProperty=email",
				map[string]any{"properties": map[string]any{"firstname": "Ada"}}},
			{"batch update same values", "POST", objects + "contacts/batch/update",
				map[string]any{"inputs": []any{map[string]any{"id": rec.ID, "properties": map[string]any{"firstname": "Ada"}}}}},
			{"batch upsert same values", "POST", objects + "contacts/batch/upsert",
				map[string]any{"inputs": []any{map[string]any{"id": "noop@example.com", "idProperty": "email", "properties": map[string]any{"lastname": "Lovelace"}}}}},
		}
		for _, tt := range same {
			t.Run(tt.name, func(t *testing.T) {
				r := tb.do(t, tt.method, tt.path, tt.body)
				if r.Status != 200 {
					t.Fatalf("status %d; body: %s", r.Status, r.Body)
				}
				got := tb.get(t, "contacts", rec.ID, "?properties=lastmodifieddate")
				if got.UpdatedAt != rec.UpdatedAt || got.prop("lastmodifieddate") != rec.UpdatedAt {
					t.Errorf("updatedAt %s, lastmodifieddate %s; want both unchanged at %s", got.UpdatedAt, got.prop("lastmodifieddate"), rec.UpdatedAt)
				}
			})
		}
		// A real change does move it, so the checks above could fail.
		changed := decode[record](t, tb.do(t, "PATCH", objects+"contacts/"+rec.ID,
			map[string]any{"properties": map[string]any{"firstname": "Augusta"}}), 200)
		if !(changed.UpdatedAt > rec.UpdatedAt) {
			t.Errorf("a real change left updatedAt at %s (was %s)", changed.UpdatedAt, rec.UpdatedAt)
		}
	})
}

func TestSearchPagingVisitsEveryMatchOnce(t *testing.T) {
	const n, limit = 17, 4
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		var inputs []any
		for i := range n {
			inputs = append(inputs, map[string]any{"properties": map[string]any{"dealname": "Paged " + strconv.Itoa(i), "amount": strconv.Itoa(i)}})
		}
		inputs = append(inputs, map[string]any{"properties": map[string]any{"dealname": "Other"}})
		decode[batchBody](t, tb.do(t, "POST", objects+"deals/batch/create", map[string]any{"inputs": inputs}), 201)
		var amounts []string
		after := ""
		for pages := 1; ; pages++ {
			body := map[string]any{"limit": limit, "filterGroups": []any{filter("amount", "HAS_PROPERTY")},
				"sorts": []any{"-amount"}, "properties": []string{"amount"}}
			if after != "" {
				body["after"] = after
			}
			res := tb.search(t, "deals", body)
			if res.Total != n {
				t.Fatalf("page %d: total %d, want %d", pages, res.Total, n)
			}
			for _, r := range res.Results {
				amounts = append(amounts, r.prop("amount"))
			}
			if res.Paging == nil || res.Paging.Next == nil {
				break
			}
			after = res.Paging.Next.After
			if pages > n {
				t.Fatal("paging does not end")
			}
		}
		var want []string
		for i := n - 1; i >= 0; i-- {
			want = append(want, strconv.Itoa(i))
		}
		if !slices.Equal(amounts, want) {
			t.Errorf("paged amounts %v, want %v", amounts, want)
		}
	})
}

// TestBatchErrorsAreStandardErrors checks the error entries of 207 answers
// against HubSpot's published StandardError (the CRM v3 OpenAPI documents,
// e.g. Contacts v3 in HubSpot-public-api-spec-collection): category,
// context, errors, links, message and status are required, and each entry
// of errors (an ErrorDetail) needs a message. HubSpot's clients check them.
func TestBatchErrorsAreStandardErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		a := tb.create(t, "contacts", map[string]any{"email": "std@example.com"})
		for name, c := range map[string]struct {
			path string
			body map[string]any
		}{
			"batch read":   {"batch/read", map[string]any{"inputs": []any{map[string]any{"id": a.ID}, map[string]any{"id": "999999"}}}},
			"batch update": {"batch/update", map[string]any{"inputs": []any{map[string]any{"id": "999999", "properties": map[string]any{"firstname": "X"}}}}},
		} {
			body := decode[map[string]any](t, tb.do(t, "POST", objects+"contacts/"+c.path, c.body), 207)
			errs, _ := body["errors"].([]any)
			if len(errs) != 1 || body["numErrors"] != float64(1) {
				t.Fatalf("%s: errors %v, numErrors %v", name, body["errors"], body["numErrors"])
			}
			e := errs[0].(map[string]any)
			for _, k := range []string{"category", "context", "errors", "links", "message", "status"} {
				if _, ok := e[k]; !ok {
					t.Errorf("%s: error entry lacks %s: %v", name, k, e)
				}
			}
			if _, ok := e["links"].(map[string]any); !ok {
				t.Errorf("%s: links is not an object: %v", name, e["links"])
			}
			details, _ := e["errors"].([]any)
			if len(details) == 0 {
				t.Fatalf("%s: errors is empty: %v", name, e)
			}
			if msg, _ := details[0].(map[string]any)["message"].(string); msg == "" {
				t.Errorf("%s: error detail without a message: %v", name, details[0])
			}
		}
	})
}

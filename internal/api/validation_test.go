package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// badInput is a call the hub must refuse without writing anything.
type badInput struct {
	name        string
	method      string
	path        string
	body        any // nil sends no body
	status      int
	category    string
	subCategory string
	message     []string            // the message names each of these
	context     map[string][]string // exact context entries
}

// badInputFixture holds the records bad inputs refer to.
type badInputFixture struct {
	contact, other record // contact has email taken@example.com
	deal, deal2    record
}

func badInputs(f badInputFixture) []badInput {
	const v = "VALIDATION_ERROR"
	contacts, deals := objects+"contacts", objects+"deals"
	props := func(p map[string]any) map[string]any { return map[string]any{"properties": p} }
	inputs := func(in ...any) map[string]any { return map[string]any{"inputs": in} }
	tooMany := make([]any, 101)
	for i := range tooMany {
		tooMany[i] = props(map[string]any{"email": fmt.Sprintf("many%d@example.com", i)})
	}
	// IN values: one over the cap, and as many as made SQLite fail.
	inValues := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("v%d@example.com", i)
		}
		return out
	}
	// A valid JSON body just over 8 MiB.
	huge := `{"properties":{"firstname":"` + strings.Repeat("x", 8<<20) + `"}}`
	return []badInput{
		{name: "malformed JSON", method: "POST", path: contacts, body: `{"properties":{"email":"a@example.com",}`,
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"JSON"}},
		{name: "malformed JSON on search", method: "POST", path: contacts + "/search", body: `{"filterGroups":[`,
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"JSON"}},
		{name: "JSON followed by garbage", method: "POST", path: contacts, body: `{"properties":{"email":"trailing@example.com"}}}`,
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"JSON"}},
		{name: "empty body on create", method: "POST", path: contacts, body: "",
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"body"}},
		{name: "empty body on batch create", method: "POST", path: contacts + "/batch/create", body: "",
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"body"}},
		{name: "null body on create", method: "POST", path: contacts, body: "null",
			status: 400, category: v, subCategory: "MALFORMED_JSON"},
		{name: "properties not an object", method: "POST", path: contacts, body: `{"properties":"email=a@example.com"}`,
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"properties"}},
		{name: "unknown property", method: "POST", path: contacts, body: props(map[string]any{"email": "u@example.com", "no_such_prop": "x"}),
			status: 400, category: v, subCategory: "PROPERTY_DOESNT_EXIST", message: []string{"no_such_prop"},
			context: map[string][]string{"propertyName": {"no_such_prop"}}},
		{name: "unknown property on update", method: "PATCH", path: deals + "/" + f.deal.ID, body: props(map[string]any{"dealname": "Renamed", "no_such_prop": "x"}),
			status: 400, category: v, subCategory: "PROPERTY_DOESNT_EXIST", message: []string{"no_such_prop"},
			context: map[string][]string{"propertyName": {"no_such_prop"}}},
		{name: "number property given text", method: "POST", path: deals, body: props(map[string]any{"dealname": "Bad amount", "amount": "abc"}),
			status: 400, category: v, subCategory: "INVALID_PROPERTY_VALUE", message: []string{"abc", "amount"},
			context: map[string][]string{"propertyName": {"amount"}}},
		{name: "number property given text on update", method: "PATCH", path: deals + "/" + f.deal.ID, body: props(map[string]any{"amount": "abc"}),
			status: 400, category: v, subCategory: "INVALID_PROPERTY_VALUE", message: []string{"abc", "amount"},
			context: map[string][]string{"propertyName": {"amount"}}},
		{name: "object as property value", method: "POST", path: contacts, body: props(map[string]any{"email": "o@example.com", "firstname": map[string]any{"a": 1}}),
			status: 400, category: v, subCategory: "INVALID_PROPERTY_VALUE", message: []string{"firstname"},
			context: map[string][]string{"propertyName": {"firstname"}}},
		{name: "array as property value", method: "POST", path: contacts, body: props(map[string]any{"email": "a@example.com", "lastname": []any{"a", "b"}}),
			status: 400, category: v, subCategory: "INVALID_PROPERTY_VALUE", message: []string{"lastname"},
			context: map[string][]string{"propertyName": {"lastname"}}},
		{name: "invalid enumeration option", method: "POST", path: deals, body: props(map[string]any{"dealname": "Bad stage", "dealstage": "nope"}),
			status: 400, category: v, subCategory: "INVALID_OPTION", message: []string{"nope", "dealstage"},
			context: map[string][]string{"propertyName": {"dealstage"}}},
		{name: "invalid email", method: "POST", path: contacts, body: props(map[string]any{"email": "not-an-email"}),
			status: 400, category: v, subCategory: "INVALID_EMAIL", message: []string{"not-an-email"},
			context: map[string][]string{"propertyName": {"email"}}},
		{name: "read-only hs_object_id", method: "POST", path: contacts, body: props(map[string]any{"email": "ro@example.com", "hs_object_id": "77"}),
			status: 400, category: v, subCategory: "READ_ONLY_VALUE", message: []string{"hs_object_id"},
			context: map[string][]string{"propertyName": {"hs_object_id"}}},
		{name: "read-only createdate on update", method: "PATCH", path: contacts + "/" + f.contact.ID, body: props(map[string]any{"createdate": "2020-01-01T00:00:00Z"}),
			status: 400, category: v, subCategory: "READ_ONLY_VALUE", message: []string{"createdate"},
			context: map[string][]string{"propertyName": {"createdate"}}},
		{name: "101 inputs to batch create", method: "POST", path: contacts + "/batch/create", body: inputs(tooMany...),
			status: 400, category: v, subCategory: "TOO_MANY_INPUTS", message: []string{"100", "101"}},
		{name: "body over 8 MiB", method: "POST", path: contacts, body: huge,
			status: 413, category: v, subCategory: "REQUEST_TOO_LARGE", message: []string{"8388608"}},
		{name: "unknown object type on create", method: "POST", path: objects + "tickets", body: props(map[string]any{"subject": "x"}),
			status: 400, category: v, subCategory: "UNKNOWN_OBJECT_TYPE", message: []string{"tickets"},
			context: map[string][]string{"objectType": {"tickets"}}},
		{name: "unknown object type on list", method: "GET", path: objects + "tickets",
			status: 400, category: v, subCategory: "UNKNOWN_OBJECT_TYPE", message: []string{"tickets"},
			context: map[string][]string{"objectType": {"tickets"}}},
		{name: "bad after on list", method: "GET", path: contacts + "?after=abc",
			status: 400, category: v, subCategory: "INVALID_CURSOR", message: []string{"abc"},
			context: map[string][]string{"after": {"abc"}}},
		{name: "bad after on search", method: "POST", path: contacts + "/search", body: map[string]any{"after": "xyz"},
			status: 400, category: v, subCategory: "INVALID_CURSOR", message: []string{"xyz"},
			context: map[string][]string{"after": {"xyz"}}},
		{name: "negative after on search", method: "POST", path: contacts + "/search", body: map[string]any{"after": "-5"},
			status: 400, category: v, subCategory: "INVALID_CURSOR", message: []string{"-5"}},
		{name: "search paged past HubSpot's 10,000 results", method: "POST", path: contacts + "/search", body: map[string]any{"after": "10000"},
			status: 400, category: v, subCategory: "INVALID_CURSOR", message: []string{"10000", "hs_lastmodifieddate"},
			context: map[string][]string{"after": {"10000"}}},
		{name: "list limit over 100", method: "GET", path: contacts + "?limit=101",
			status: 400, category: v, subCategory: "INVALID_LIMIT", message: []string{"100", "101"}},
		{name: "list limit not a number", method: "GET", path: contacts + "?limit=ten",
			status: 400, category: v, subCategory: "INVALID_LIMIT", message: []string{"ten"}},
		{name: "search limit over 200", method: "POST", path: contacts + "/search", body: map[string]any{"limit": 201},
			status: 400, category: v, subCategory: "INVALID_LIMIT", message: []string{"200", "201"}},
		{name: "unknown filter property", method: "POST", path: contacts + "/search",
			body:   map[string]any{"filterGroups": []any{filter("no_such_prop", "EQ", "x")}},
			status: 400, category: v, subCategory: "INVALID_FILTER", message: []string{"no_such_prop"},
			context: map[string][]string{"propertyName": {"no_such_prop"}}},
		{name: "unknown filter operator", method: "POST", path: contacts + "/search",
			body:   map[string]any{"filterGroups": []any{filter("email", "LIKE", "x")}},
			status: 400, category: v, subCategory: "INVALID_FILTER", message: []string{"LIKE"},
			context: map[string][]string{"propertyName": {"email"}}},
		{name: "number filter given text", method: "POST", path: deals + "/search",
			body:   map[string]any{"filterGroups": []any{filter("amount", "LT", "ten")}},
			status: 400, category: v, subCategory: "INVALID_FILTER", message: []string{"ten", "amount"},
			context: map[string][]string{"propertyName": {"amount"}}},
		{name: "number filter in hex", method: "POST", path: deals + "/search",
			body:   map[string]any{"filterGroups": []any{filter("amount", "GT", "0x1p4")}},
			status: 400, category: v, subCategory: "INVALID_FILTER", message: []string{"0x1p4", "amount"},
			context: map[string][]string{"propertyName": {"amount"}}},
		{name: "IN filter with 101 values", method: "POST", path: contacts + "/search",
			body:   map[string]any{"filterGroups": []any{filter("email", "IN", inValues(101)...)}},
			status: 400, category: v, subCategory: "INVALID_FILTER", message: []string{"100", "101", "email"},
			context: map[string][]string{"propertyName": {"email"}}},
		{name: "NOT_IN filter with 32767 values", method: "POST", path: contacts + "/search",
			body:   map[string]any{"filterGroups": []any{filter("email", "NOT_IN", inValues(32767)...)}},
			status: 400, category: v, subCategory: "INVALID_FILTER", message: []string{"100", "32767"},
			context: map[string][]string{"propertyName": {"email"}}},
		{name: "batch body sent to single create", method: "POST", path: contacts, body: inputs(props(map[string]any{"email": "batch@example.com"})),
			status: 400, category: v, subCategory: "MISSING_PROPERTIES", message: []string{"properties", "batch"}},
		{name: "create without properties", method: "POST", path: contacts, body: map[string]any{},
			status: 400, category: v, subCategory: "MISSING_PROPERTIES", message: []string{"properties"}},
		{name: "create with null properties", method: "POST", path: contacts, body: map[string]any{"properties": nil},
			status: 400, category: v, subCategory: "MISSING_PROPERTIES", message: []string{"properties"}},
		{name: "update with bare properties", method: "PATCH", path: contacts + "/" + f.contact.ID, body: map[string]any{"firstname": "Bare"},
			status: 400, category: v, subCategory: "MISSING_PROPERTIES", message: []string{"properties"}},
		{name: "batch create without inputs", method: "POST", path: contacts + "/batch/create", body: props(map[string]any{"email": "x@example.com"}),
			status: 400, category: v, subCategory: "MISSING_INPUT", message: []string{"inputs"}},
		{name: "batch read without inputs", method: "POST", path: contacts + "/batch/read", body: map[string]any{"properties": []string{"email"}},
			status: 400, category: v, subCategory: "MISSING_INPUT", message: []string{"inputs"}},
		{name: "batch update with null inputs", method: "POST", path: deals + "/batch/update", body: map[string]any{"inputs": nil},
			status: 400, category: v, subCategory: "MISSING_INPUT", message: []string{"inputs"}},
		{name: "batch upsert without inputs", method: "POST", path: contacts + "/batch/upsert", body: map[string]any{},
			status: 400, category: v, subCategory: "MISSING_INPUT", message: []string{"inputs"}},
		{name: "batch archive without inputs", method: "POST", path: contacts + "/batch/archive", body: map[string]any{},
			status: 400, category: v, subCategory: "MISSING_INPUT", message: []string{"inputs"}},
		{name: "null entry in batch read", method: "POST", path: contacts + "/batch/read", body: inputs(map[string]any{"id": f.contact.ID}, nil),
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"inputs[1]"}},
		{name: "null entry in batch archive", method: "POST", path: contacts + "/batch/archive", body: inputs(map[string]any{"id": f.other.ID}, nil),
			status: 400, category: v, subCategory: "MALFORMED_JSON", message: []string{"inputs[1]"}},
		{name: "batch create input without properties", method: "POST", path: contacts + "/batch/create", body: inputs(map[string]any{}),
			status: 400, category: v, subCategory: "MISSING_PROPERTIES", message: []string{"inputs[0]", "properties"}},
		{name: "upsert setting another key on an existing record", method: "POST", path: contacts + "/batch/upsert",
			body:   inputs(map[string]any{"id": "taken@example.com", "idProperty": "email", "properties": map[string]any{"email": "moved@example.com"}}),
			status: 400, category: v, subCategory: "CONFLICTING_ID_PROPERTY", message: []string{"taken@example.com", "moved@example.com"},
			context: map[string][]string{"propertyName": {"email"}}},
		{name: "upsert creating with another key", method: "POST", path: contacts + "/batch/upsert",
			body: inputs(map[string]any{"id": "fresh@example.com", "idProperty": "email", "properties": map[string]any{"firstname": "F"}},
				map[string]any{"id": "new@example.com", "idProperty": "email", "properties": map[string]any{"email": "other-new@example.com"}}),
			status: 400, category: v, subCategory: "CONFLICTING_ID_PROPERTY", message: []string{"inputs[1]", "new@example.com", "other-new@example.com"},
			context: map[string][]string{"propertyName": {"email"}}},
		{name: "unknown sort property", method: "POST", path: contacts + "/search",
			body:   map[string]any{"sorts": []any{map[string]any{"propertyName": "no_such_prop", "direction": "ASCENDING"}}},
			status: 400, category: v, subCategory: "INVALID_SORT", message: []string{"no_such_prop"},
			context: map[string][]string{"propertyName": {"no_such_prop"}}},
		{name: "unknown sort property as string", method: "POST", path: contacts + "/search",
			body:   map[string]any{"sorts": []any{"-no_such_prop"}},
			status: 400, category: v, subCategory: "INVALID_SORT", message: []string{"no_such_prop"},
			context: map[string][]string{"propertyName": {"no_such_prop"}}},
		{name: "duplicate email on create", method: "POST", path: contacts, body: props(map[string]any{"email": "Taken@Example.com"}),
			status: 409, category: "CONFLICT", subCategory: "OBJECT_ALREADY_EXISTS", message: []string{"taken@example.com", f.contact.ID},
			context: map[string][]string{"existingId": {f.contact.ID}}},
		{name: "duplicate email on update", method: "PATCH", path: contacts + "/" + f.other.ID,
			body:   props(map[string]any{"email": "taken@example.com", "firstname": "Changed"}),
			status: 409, category: "CONFLICT", subCategory: "OBJECT_ALREADY_EXISTS", message: []string{"taken@example.com", f.contact.ID},
			context: map[string][]string{"existingId": {f.contact.ID}}},
		{name: "update of a missing id", method: "PATCH", path: contacts + "/9999999",
			body:   props(map[string]any{"firstname": "Ghost"}),
			status: 404, category: "OBJECT_NOT_FOUND", subCategory: "OBJECT_NOT_FOUND", message: []string{"9999999"}},
		{name: "duplicate email in batch create", method: "POST", path: contacts + "/batch/create",
			body:   inputs(props(map[string]any{"email": "fresh@example.com"}), props(map[string]any{"email": "taken@example.com"})),
			status: 409, category: "CONFLICT", subCategory: "OBJECT_ALREADY_EXISTS", message: []string{f.contact.ID}},
		{name: "same email twice in batch create", method: "POST", path: contacts + "/batch/create",
			body:   inputs(props(map[string]any{"email": "twice@example.com"}), props(map[string]any{"email": "TWICE@example.com"})),
			status: 400, category: v, subCategory: "DUPLICATE_INPUT", message: []string{"twice@example.com"}},
		{name: "duplicate ids in batch update", method: "POST", path: deals + "/batch/update",
			body: inputs(map[string]any{"id": f.deal.ID, "properties": map[string]any{"dealname": "One"}},
				map[string]any{"id": f.deal.ID, "properties": map[string]any{"dealname": "Two"}}),
			status: 400, category: v, subCategory: "DUPLICATE_INPUT", message: []string{f.deal.ID},
			context: map[string][]string{"ids": {f.deal.ID, f.deal.ID}}},
		{name: "batch create with one invalid input of three", method: "POST", path: contacts + "/batch/create",
			body: inputs(props(map[string]any{"email": "ok1@example.com"}), props(map[string]any{"email": "bad at example"}),
				props(map[string]any{"email": "ok2@example.com"})),
			status: 400, category: v, subCategory: "INVALID_EMAIL", message: []string{"bad at example"},
			context: map[string][]string{"propertyName": {"email"}}},
		{name: "batch update with one invalid input", method: "POST", path: deals + "/batch/update",
			body: inputs(map[string]any{"id": f.deal.ID, "properties": map[string]any{"dealname": "Changed"}},
				map[string]any{"id": f.deal2.ID, "properties": map[string]any{"dealstage": "nope"}}),
			status: 400, category: v, subCategory: "INVALID_OPTION", message: []string{"nope"}},
		{name: "batch upsert with one invalid input", method: "POST", path: contacts + "/batch/upsert",
			body: inputs(map[string]any{"id": "taken@example.com", "idProperty": "email", "properties": map[string]any{"firstname": "Changed"}},
				map[string]any{"id": "new@example.com", "idProperty": "email", "properties": map[string]any{"lifecyclestage": "nope"}}),
			status: 400, category: v, subCategory: "INVALID_OPTION", message: []string{"nope", "lifecyclestage"}},
	}
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		f := badInputFixture{
			contact: tb.create(t, "contacts", map[string]any{"email": "taken@example.com", "firstname": "Taken"}),
			other:   tb.create(t, "contacts", map[string]any{"email": "other@example.com", "firstname": "Other"}),
			deal:    tb.create(t, "deals", map[string]any{"dealname": "Fixture", "amount": "10", "dealstage": "closedwon"}),
			deal2:   tb.create(t, "deals", map[string]any{"dealname": "Fixture 2", "amount": "20"}),
		}
		// Rows run one after another: each compares every record before and
		// after its call, which a concurrent row would disturb.
		for _, tt := range badInputs(f) {
			t.Run(tt.name, func(t *testing.T) {
				before := tb.snapshot(t)
				e := wantError(t, tb.do(t, tt.method, tt.path, tt.body), tt.status, tt.category, tt.subCategory)
				wantMessage(t, e, tt.message...)
				for k, want := range tt.context {
					wantContext(t, e, k, want...)
				}
				if after := tb.snapshot(t); after != before {
					t.Errorf("a refused call changed records:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	})
}

// TestUnknownRouteIsHubSpotShaped checks the error shape outside the CRM
// handlers too.
func TestUnknownRouteIsHubSpotShaped(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		e := wantError(t, tb.do(t, "GET", "/crm/v3/nothing/here", nil), 404, "OBJECT_NOT_FOUND", "NO_ROUTE")
		wantMessage(t, e, "/crm/v3/nothing/here")
	})
}

// TestConcurrentDuplicateEmailIsConflict: writers racing for one email get
// one 201 and 409s, never a 500, and one record exists after.
func TestConcurrentDuplicateEmailIsConflict(t *testing.T) {
	const rounds, writers = 5, 6
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		for round := range rounds {
			email := fmt.Sprintf("race%d@example.com", round)
			statuses := make([]int, writers)
			bodies := make([]string, writers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range writers {
				path, body := objects+"contacts", map[string]any{"properties": map[string]any{"email": email}}
				if i%2 == 1 { // half the writers upsert instead
					path, body = objects+"contacts/batch/upsert", map[string]any{"inputs": []any{
						map[string]any{"id": email, "idProperty": "email", "properties": map[string]any{"firstname": "W"}}}}
				}
				wg.Go(func() {
					<-start
					// Not tb.do: it may call t.Fatal, which only the test's
					// own goroutine may.
					statuses[i], bodies[i] = post(tb, path, body)
				})
			}
			close(start)
			wg.Wait()
			for i, s := range statuses {
				if s != 200 && s != 201 && s != 409 {
					t.Errorf("round %d writer %d: status %d; body: %s\nserver log: %s", round, i, s, bodies[i], tb.logFor(bodies[i]))
				}
			}
			res := tb.search(t, "contacts", map[string]any{"filterGroups": []any{filter("email", "EQ", email)}})
			if res.Total != 1 {
				t.Errorf("round %d: %d contacts with %s, want 1", round, res.Total, email)
			}
		}
	})
}

// post sends a JSON POST from any goroutine; a transport failure comes back
// as status 0 and the error text.
func post(tb *testBundle, path string, body any) (int, string) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequest("POST", tb.env.URL+path, bytes.NewReader(data))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+tb.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := tb.env.Server.Client().Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(out)
}

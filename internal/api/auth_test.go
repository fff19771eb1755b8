package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// objectCall is one CRM object call, built for a type and an existing id.
type objectCall struct {
	name   string
	method string
	path   func(ot, id string) string
	body   func(ot, id string) any
}

func propsFor(ot string, n int) map[string]any {
	switch ot {
	case "contacts":
		return map[string]any{"email": fmt.Sprintf("scope%d@example.com", n), "firstname": "Scope"}
	case "companies":
		return map[string]any{"name": fmt.Sprintf("Scope %d", n), "domain": fmt.Sprintf("scope%d.example.com", n)}
	}
	return map[string]any{"dealname": fmt.Sprintf("Scope %d", n), "amount": "10"}
}

var readCalls = []objectCall{
	{"list", "GET", func(ot, id string) string { return objects + ot }, nil},
	{"get", "GET", func(ot, id string) string { return objects + ot + "/" + id }, nil},
	{"search", "POST", func(ot, id string) string { return objects + ot + "/search" },
		func(ot, id string) any {
			return map[string]any{"filterGroups": []any{filter("hs_object_id", "EQ", id)}}
		}},
	{"batch read", "POST", func(ot, id string) string { return objects + ot + "/batch/read" },
		func(ot, id string) any { return map[string]any{"inputs": []any{map[string]any{"id": id}}} }},
}

var writeCalls = []objectCall{
	{"create", "POST", func(ot, id string) string { return objects + ot },
		func(ot, id string) any { return map[string]any{"properties": propsFor(ot, 901)} }},
	{"update", "PATCH", func(ot, id string) string { return objects + ot + "/" + id },
		func(ot, id string) any { return map[string]any{"properties": propsFor(ot, 902)} }},
	{"archive", "DELETE", func(ot, id string) string { return objects + ot + "/" + id }, nil},
	{"batch create", "POST", func(ot, id string) string { return objects + ot + "/batch/create" },
		func(ot, id string) any {
			return map[string]any{"inputs": []any{map[string]any{"properties": propsFor(ot, 903)}}}
		}},
	{"batch update", "POST", func(ot, id string) string { return objects + ot + "/batch/update" },
		func(ot, id string) any {
			return map[string]any{"inputs": []any{map[string]any{"id": id, "properties": propsFor(ot, 904)}}}
		}},
	{"batch upsert", "POST", func(ot, id string) string { return objects + ot + "/batch/upsert" },
		func(ot, id string) any {
			return map[string]any{"inputs": []any{map[string]any{"id": id, "properties": propsFor(ot, 905)}}}
		}},
	{"batch archive", "POST", func(ot, id string) string { return objects + ot + "/batch/archive" },
		func(ot, id string) any { return map[string]any{"inputs": []any{map[string]any{"id": id}}} }},
}

func (c objectCall) do(t *testing.T, env *hubtest.Env, token, ot, id string) hubtest.Response {
	t.Helper()
	var body any
	if c.body != nil {
		body = c.body(ot, id)
	}
	return env.Do(t, c.method, c.path(ot, id), token, body)
}

var objectTypes = []string{"contacts", "companies", "deals"}

func TestReadCallsNeedObjectReadScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		for _, ot := range objectTypes {
			rec := tb.create(t, ot, propsFor(ot, 1))
			missing := "crm.objects." + ot + ".read"
			token := tb.env.Token(t, without(missing)...)
			for _, c := range readCalls {
				t.Run(ot+"/"+c.name, func(t *testing.T) {
					e := wantError(t, c.do(t, tb.env, token, ot, rec.ID), 403, "MISSING_SCOPES", "MISSING_SCOPES")
					wantContext(t, e, "requiredGranularScopes", missing)
					wantMessage(t, e, missing)
					// The same call with the scope succeeds, so the refusal
					// is the scope's doing.
					if r := c.do(t, tb.env, tb.token, ot, rec.ID); r.Status != 200 {
						t.Errorf("with every scope: status %d; body: %s", r.Status, r.Body)
					}
				})
			}
		}
	})
}

func TestWriteCallsNeedObjectWriteScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		for _, ot := range objectTypes {
			rec := tb.create(t, ot, propsFor(ot, 2))
			missing := "crm.objects." + ot + ".write"
			token := tb.env.Token(t, without(missing)...)
			before := tb.snapshot(t)
			for _, c := range writeCalls {
				t.Run(ot+"/"+c.name, func(t *testing.T) {
					e := wantError(t, c.do(t, tb.env, token, ot, rec.ID), 403, "MISSING_SCOPES", "MISSING_SCOPES")
					wantContext(t, e, "requiredGranularScopes", missing)
				})
			}
			if after := tb.snapshot(t); after != before {
				t.Errorf("%s: refused writes changed records:\nbefore %s\nafter  %s", ot, before, after)
			}
			// Reads still work with the write-less token.
			for _, c := range readCalls {
				if r := c.do(t, tb.env, token, ot, rec.ID); r.Status != 200 {
					t.Errorf("%s %s without %s: status %d; body: %s", ot, c.name, missing, r.Status, r.Body)
				}
			}
		}
	})
}

func TestPropertiesNeedSchemaScopes(t *testing.T) {
	newProp := func(name string) map[string]any {
		return map[string]any{"name": name, "label": "Scoped", "type": "string", "fieldType": "text", "groupName": "g"}
	}
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		for _, ot := range objectTypes {
			read, write := "crm.schemas."+ot+".read", "crm.schemas."+ot+".write"
			props := "/crm/v3/properties/" + ot
			noRead := tb.env.Token(t, without(read)...)
			noWrite := tb.env.Token(t, without(write)...)
			tests := []struct {
				name   string
				token  string
				method string
				path   string
				body   any
				want   int
				scope  string
			}{
				{"list without read", noRead, "GET", props, nil, 403, read},
				{"get one without read", noRead, "GET", props + "/createdate", nil, 403, read},
				{"create without write", noWrite, "POST", props, newProp("scoped_a"), 403, write},
				{"list without write", noWrite, "GET", props, nil, 200, ""},
				{"get one without write", noWrite, "GET", props + "/createdate", nil, 200, ""},
				{"create without read", noRead, "POST", props, newProp("scoped_b"), 201, ""},
			}
			for _, tt := range tests {
				t.Run(ot+"/"+tt.name, func(t *testing.T) {
					r := tb.env.Do(t, tt.method, tt.path, tt.token, tt.body)
					if tt.scope == "" {
						if r.Status != tt.want {
							t.Fatalf("status %d, want %d; body: %s", r.Status, tt.want, r.Body)
						}
						return
					}
					e := wantError(t, r, tt.want, "MISSING_SCOPES", "MISSING_SCOPES")
					wantContext(t, e, "requiredGranularScopes", tt.scope)
				})
			}
			// The refused create wrote nothing; the allowed one did.
			wantError(t, tb.do(t, "GET", props+"/scoped_a", nil), 404, "OBJECT_NOT_FOUND", "PROPERTY_DOESNT_EXIST")
			decode[map[string]any](t, tb.do(t, "GET", props+"/scoped_b", nil), 200)
		}
	})
}

func TestMissingOrUnknownTokenIsUnauthenticated(t *testing.T) {
	tests := []struct {
		name          string
		authorization string // "" sends no header
		subCategory   string
	}{
		{"no header", "", "MISSING_TOKEN"},
		{"empty bearer", "Bearer ", "MISSING_TOKEN"},
		{"basic scheme", "Basic dXNlcjpwYXNz", "MISSING_TOKEN"},
		{"garbage", "Bearer garbage", "INVALID_TOKEN"},
		{"unknown private app token", "Bearer pat-hs1-00000000-0000-0000-0000-000000000000", "INVALID_TOKEN"},
	}
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		for _, tt := range tests {
			for _, path := range []string{objects + "contacts", "/crm/v3/properties/deals"} {
				t.Run(tt.name+path, func(t *testing.T) {
					r := doAuth(t, tb.env, "GET", path, tt.authorization)
					wantError(t, r, 401, "INVALID_AUTHENTICATION", tt.subCategory)
				})
			}
		}
	})
}

// doAuth sends a request with a raw Authorization header.
func doAuth(t *testing.T, env *hubtest.Env, method, path, authorization string) hubtest.Response {
	t.Helper()
	if authorization == "" {
		return env.Do(t, method, path, "", nil)
	}
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	if ok && token != "" {
		return env.Do(t, method, path, token, nil)
	}
	// env.Do only sends bearer tokens; send anything else by hand.
	req, err := newRequest(env, method, path, authorization)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, env, req)
}

func newRequest(env *hubtest.Env, method, path, authorization string) (*http.Request, error) {
	req, err := http.NewRequest(method, env.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", authorization)
	return req, nil
}

func send(t testing.TB, env *hubtest.Env, req *http.Request) hubtest.Response {
	t.Helper()
	return sendWith(t, env.Server.Client(), req)
}

// sendWith sends a request with a client (a browser, say) and reads the answer.
func sendWith(t testing.TB, client *http.Client, req *http.Request) hubtest.Response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return hubtest.Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func TestDeletedPrivateAppIsRefusedAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ctx := context.Background()
		apps := tb.env.Hub.PrivateApps
		app, token, err := apps.Create(ctx, "doomed", hubtest.AllScopes, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r := tb.env.Do(t, "GET", objects+"contacts", token, nil); r.Status != 200 {
			t.Fatalf("before delete: status %d; body: %s", r.Status, r.Body)
		}
		if err := apps.Delete(ctx, app.ID); err != nil {
			t.Fatal(err)
		}
		wantError(t, tb.env.Do(t, "GET", objects+"contacts", token, nil), 401, "INVALID_AUTHENTICATION", "INVALID_TOKEN")
		// Other apps are untouched.
		if r := tb.do(t, "GET", objects+"contacts", nil); r.Status != 200 {
			t.Fatalf("another app after delete: status %d; body: %s", r.Status, r.Body)
		}
	})
}

func TestRotateWithoutGraceRefusesOldTokenAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ctx := context.Background()
		apps := tb.env.Hub.PrivateApps
		app, old, err := apps.Create(ctx, "rotated", hubtest.AllScopes, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r := tb.env.Do(t, "GET", objects+"deals", old, nil); r.Status != 200 {
			t.Fatalf("before rotation: status %d; body: %s", r.Status, r.Body)
		}
		_, current, err := apps.Rotate(ctx, app.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if current == old {
			t.Fatal("rotation returned the old token")
		}
		r := tb.env.Do(t, "GET", objects+"deals", old, nil)
		if r.Status != 401 {
			t.Fatalf("old token after rotation without grace: status %d, want 401; body: %s", r.Status, r.Body)
		}
		if e := decode[errorBody](t, r, 401); e.Category != "INVALID_AUTHENTICATION" && e.Category != "EXPIRED_AUTHENTICATION" {
			t.Errorf("category %q, want INVALID_AUTHENTICATION or EXPIRED_AUTHENTICATION", e.Category)
		}
		if r := tb.env.Do(t, "GET", objects+"deals", current, nil); r.Status != 200 {
			t.Fatalf("new token: status %d; body: %s", r.Status, r.Body)
		}
	})
}

func TestRotateWithGraceKeepsOldTokenUntilDeadline(t *testing.T) {
	const grace = 1200 * time.Millisecond
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ctx := context.Background()
		apps := tb.env.Hub.PrivateApps
		app, old, err := apps.Create(ctx, "graceful", hubtest.AllScopes, 0)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, current, err := apps.Rotate(ctx, app.ID, grace)
		if err != nil {
			t.Fatal(err)
		}
		rotated := time.Now()
		if r := tb.env.Do(t, "GET", objects+"contacts", current, nil); r.Status != 200 {
			t.Fatalf("new token: status %d; body: %s", r.Status, r.Body)
		}
		// Poll the old token: it must work until start+grace and be refused
		// from rotated+grace on, with EXPIRED_AUTHENTICATION. The slack
		// covers the store keeping times in whole milliseconds.
		const slack = 10 * time.Millisecond
		sawWorking := false
		for {
			sent := time.Now()
			r := tb.env.Do(t, "GET", objects+"contacts", old, nil)
			answered := time.Now()
			if r.Status == 200 {
				sawWorking = true
				if sent.After(rotated.Add(grace + slack)) {
					t.Fatalf("old token still works %v after rotation with grace %v", sent.Sub(rotated), grace)
				}
			} else {
				if answered.Before(start.Add(grace - slack)) {
					t.Fatalf("old token refused after %v, before its grace %v ended; status %d; body: %s",
						answered.Sub(start), grace, r.Status, r.Body)
				}
				e := wantError(t, r, 401, "EXPIRED_AUTHENTICATION", "TOKEN_EXPIRED")
				wantMessage(t, e, "expired")
				break
			}
			if time.Since(rotated) > grace+5*time.Second {
				t.Fatal("old token never expired")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !sawWorking {
			t.Error("old token never worked during its grace period")
		}
		if r := tb.env.Do(t, "GET", objects+"contacts", current, nil); r.Status != 200 {
			t.Fatalf("new token after grace: status %d; body: %s", r.Status, r.Body)
		}
	})
}

func TestSetScopesIsEnforcedOnNextCall(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ctx := context.Background()
		apps := tb.env.Hub.PrivateApps
		app, token, err := apps.Create(ctx, "narrowed", hubtest.AllScopes, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r := tb.env.Do(t, "GET", objects+"contacts", token, nil); r.Status != 200 {
			t.Fatalf("before: status %d; body: %s", r.Status, r.Body)
		}
		if _, err := apps.SetScopes(ctx, app.ID, without("crm.objects.contacts.read")); err != nil {
			t.Fatal(err)
		}
		e := wantError(t, tb.env.Do(t, "GET", objects+"contacts", token, nil), 403, "MISSING_SCOPES", "MISSING_SCOPES")
		wantContext(t, e, "requiredGranularScopes", "crm.objects.contacts.read")
		if r := tb.env.Do(t, "GET", objects+"companies", token, nil); r.Status != 200 {
			t.Fatalf("a scope still held: status %d; body: %s", r.Status, r.Body)
		}
		if _, err := apps.SetScopes(ctx, app.ID, hubtest.AllScopes); err != nil {
			t.Fatal(err)
		}
		if r := tb.env.Do(t, "GET", objects+"contacts", token, nil); r.Status != 200 {
			t.Fatalf("scope given back: status %d; body: %s", r.Status, r.Body)
		}
	})
}

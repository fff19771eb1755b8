// Tests of the HubSpot-compatible CRM API through a real hub on a loopback
// port, on SQLite and on PostgreSQL. This file holds the shared harness;
// auth_test.go covers scopes and tokens, validation_test.go bad input,
// behaviour_test.go and properties_test.go what correct calls do.
package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

const objects = "/crm/v3/objects/"

// testBundle is a running hub and a token holding every CRM scope.
type testBundle struct {
	env   *hubtest.Env
	token string
}

func setup(t *testing.T, b hubtest.Backend) *testBundle {
	t.Helper()
	env := hubtest.New(t, b)
	return &testBundle{env: env, token: env.Token(t, hubtest.AllScopes...)}
}

// eachBackend runs fn as a parallel subtest per backend, each on a fresh hub.
func eachBackend(t *testing.T, fn func(t *testing.T, tb *testBundle)) {
	t.Helper()
	t.Parallel()
	for _, b := range hubtest.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, b))
		})
	}
}

// do is env.Do with the bundle's all-scopes token.
func (tb *testBundle) do(t *testing.T, method, path string, body any) hubtest.Response {
	t.Helper()
	return tb.env.Do(t, method, path, tb.token, body)
}

// record is a CRM record on the wire.
type record struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt"`
	New        *bool              `json:"new"`
}

// prop is a property value, "<nil>" for null and "<absent>" when missing.
func (r record) prop(name string) string {
	v, ok := r.Properties[name]
	switch {
	case !ok:
		return "<absent>"
	case v == nil:
		return "<nil>"
	}
	return *v
}

type paging struct {
	Next *struct {
		After string `json:"after"`
		Link  string `json:"link"`
	} `json:"next"`
}

type listBody struct {
	Results []record `json:"results"`
	Paging  *paging  `json:"paging"`
}

type searchBody struct {
	Total   int      `json:"total"`
	Results []record `json:"results"`
	Paging  *paging  `json:"paging"`
}

type batchBody struct {
	Status    string     `json:"status"`
	Results   []record   `json:"results"`
	NumErrors int        `json:"numErrors"`
	Errors    []errorRow `json:"errors"`
}

type errorRow struct {
	Status   string              `json:"status"`
	Category string              `json:"category"`
	Message  string              `json:"message"`
	Context  map[string][]string `json:"context"`
}

// errorBody is HubSpot's error shape as the hub sends it.
type errorBody struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category"`
	SubCategory   string              `json:"subCategory"`
	Context       map[string][]string `json:"context"`
}

// decode reads a response body into T after checking the status.
func decode[T any](t *testing.T, r hubtest.Response, status int) T {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %T: %v; body: %s", v, err, r.Body)
	}
	return v
}

// wantError checks that r is an error in HubSpot's shape with the given
// status, category and subCategory, and returns it. Every error must carry
// status "error" and the correlation id of the response header.
func wantError(t *testing.T, r hubtest.Response, status int, category, subCategory string) errorBody {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	var e errorBody
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v; body: %s", err, r.Body)
	}
	if e.Status != "error" {
		t.Errorf("status field %q, want \"error\"; body: %s", e.Status, r.Body)
	}
	if e.CorrelationID == "" {
		t.Errorf("empty correlationId; body: %s", r.Body)
	}
	if h := r.Header.Get("X-HubSpot-Correlation-Id"); h != e.CorrelationID {
		t.Errorf("correlationId %q, header X-HubSpot-Correlation-Id %q; they must match", e.CorrelationID, h)
	}
	if e.Category == "" || e.Category != category {
		t.Errorf("category %q, want %q; body: %s", e.Category, category, r.Body)
	}
	if e.SubCategory != subCategory {
		t.Errorf("subCategory %q, want %q; body: %s", e.SubCategory, subCategory, r.Body)
	}
	if e.Message == "" {
		t.Errorf("empty message; body: %s", r.Body)
	}
	return e
}

// wantMessage checks that an error message names every one of parts.
func wantMessage(t *testing.T, e errorBody, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not name %q", e.Message, p)
		}
	}
}

// wantContext checks one context entry of an error exactly.
func wantContext(t *testing.T, e errorBody, key string, want ...string) {
	t.Helper()
	if got := e.Context[key]; !slices.Equal(got, want) {
		t.Errorf("context[%q] = %q, want %q (context %v)", key, got, want, e.Context)
	}
}

func (tb *testBundle) create(t *testing.T, objectType string, props map[string]any) record {
	t.Helper()
	return decode[record](t, tb.do(t, "POST", objects+objectType, map[string]any{"properties": props}), 201)
}

func (tb *testBundle) get(t *testing.T, objectType, id, query string) record {
	t.Helper()
	return decode[record](t, tb.do(t, "GET", objects+objectType+"/"+id+query, nil), 200)
}

func (tb *testBundle) search(t *testing.T, objectType string, body map[string]any) searchBody {
	t.Helper()
	return decode[searchBody](t, tb.do(t, "POST", objects+objectType+"/search", body), 200)
}

// filter is one search filter group holding a single filter.
func filter(property, operator string, values ...string) map[string]any {
	f := map[string]any{"propertyName": property, "operator": operator}
	switch {
	case operator == "BETWEEN":
		f["value"], f["highValue"] = values[0], values[1]
	case operator == "IN" || operator == "NOT_IN":
		f["values"] = values
	case len(values) == 1:
		f["value"] = values[0]
	}
	return map[string]any{"filters": []any{f}}
}

func ids(recs []record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// listAll pages through every record of a type and returns the bodies
// exactly as sent, so two calls compare equal only when nothing changed.
func (tb *testBundle) listAll(t *testing.T, objectType string, archived bool) []record {
	t.Helper()
	var out []record
	q := url.Values{"limit": {"100"}, "archived": {fmt.Sprint(archived)},
		"properties": {"email,firstname,lastname,name,domain,dealname,amount,dealstage,lifecyclestage,hs_lastmodifieddate,lastmodifieddate"}}
	for range 100 {
		page := decode[listBody](t, tb.do(t, "GET", objects+objectType+"?"+q.Encode(), nil), 200)
		out = append(out, page.Results...)
		if page.Paging == nil || page.Paging.Next == nil {
			return out
		}
		q.Set("after", page.Paging.Next.After)
	}
	t.Fatalf("listing %s did not end after 100 pages", objectType)
	return nil
}

// snapshot is every record of every type, live and archived, as JSON. A call
// that must write nothing leaves it unchanged.
func (tb *testBundle) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, ot := range []string{"contacts", "companies", "deals"} {
		for _, archived := range []bool{false, true} {
			data, err := json.Marshal(tb.listAll(t, ot, archived))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s archived=%v: %s\n", ot, archived, data)
		}
	}
	return b.String()
}

// logFor returns the server's "request failed" log lines for the
// correlation id in an error body, to explain a 500.
func (tb *testBundle) logFor(body string) string {
	var e errorBody
	if json.Unmarshal([]byte(body), &e) != nil || e.CorrelationID == "" {
		return ""
	}
	var out []string
	for _, line := range strings.Split(tb.env.Logs.String(), "\n") {
		if strings.Contains(line, e.CorrelationID) && strings.Contains(line, "request failed") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// without returns every CRM scope but the named ones.
func without(scopes ...string) []string {
	var out []string
	for _, s := range hubtest.AllScopes {
		if !slices.Contains(scopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// contextWithClient makes golang.org/x/oauth2 use the test server's client.
func contextWithClient(ctx context.Context, env *hubtest.Env) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, env.Server.Client())
}

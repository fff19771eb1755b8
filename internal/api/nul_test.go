package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// everyRoute is every route the hub serves, as registered, and what kind of
// body it reads ("json", "form" or none).
var everyRoute = []struct{ pattern, body string }{
	{"GET /healthz", ""},
	{"GET /readyz", ""},
	{"GET /metrics", ""},
	{"GET /crm/v3/objects/{type}", ""},
	{"POST /crm/v3/objects/{type}", "json"},
	{"GET /crm/v3/objects/{type}/{id}", ""},
	{"PATCH /crm/v3/objects/{type}/{id}", "json"},
	{"DELETE /crm/v3/objects/{type}/{id}", ""},
	{"POST /crm/v3/objects/{type}/batch/read", "json"},
	{"POST /crm/v3/objects/{type}/batch/create", "json"},
	{"POST /crm/v3/objects/{type}/batch/update", "json"},
	{"POST /crm/v3/objects/{type}/batch/upsert", "json"},
	{"POST /crm/v3/objects/{type}/batch/archive", "json"},
	{"POST /crm/v3/objects/{type}/search", "json"},
	{"GET /crm/hubsync/v1/objects/{type}/changes", ""},
	{"GET /crm/v3/properties/{type}", ""},
	{"POST /crm/v3/properties/{type}", "json"},
	{"GET /crm/v3/properties/{type}/{name}", ""},
	{"PATCH /crm/v3/properties/{type}/{name}", "json"},
	{"DELETE /crm/v3/properties/{type}/{name}", ""},
	{"POST /crm/v3/properties/{type}/batch/archive", "json"},
	{"GET /oauth/authorize", ""},
	{"POST /oauth/authorize", "form"},
	{"GET /signin", ""},
	{"POST /signin", "form"},
	{"POST /oauth/v1/token", "form"},
	{"POST /oauth/2026-03/token", "form"},
	{"GET /oauth/v1/access-tokens/{token}", ""},
	{"GET /oauth/v1/refresh-tokens/{token}", ""},
	{"DELETE /oauth/v1/refresh-tokens/{token}", ""},
	{"POST /oauth/v3/token/introspect", "form"},
	{"POST /oauth/2026-03/token/introspect", "form"},
	{"POST /oauth/v3/token/revoke", "form"},
	{"POST /oauth/2026-03/token/revoke", "form"},
	{"GET /.well-known/oauth-authorization-server", ""},
	{"GET /connections/callback", ""},
	{"GET /api/v1/apps", ""},
	{"POST /api/v1/apps", "json"},
	{"GET /api/v1/apps/{app}", ""},
	{"PATCH /api/v1/apps/{app}", "json"},
	{"DELETE /api/v1/apps/{app}", ""},
	{"POST /api/v1/apps/{app}/rotate-secret", ""},
	{"GET /api/v1/grants", ""},
	{"DELETE /api/v1/grants/{grant}", ""},
	{"GET /api/v1/private-apps", ""},
	{"POST /api/v1/private-apps", "json"},
	{"POST /api/v1/private-apps/{id}/rotate", "json"},
	{"DELETE /api/v1/private-apps/{id}", ""},
	{"GET /api/v1/users", ""},
	{"POST /api/v1/users", "json"},
	{"PATCH /api/v1/users/{user}", "json"},
	{"POST /api/v1/users/{user}/reactivate", ""},
	{"GET /api/v1/users/{user}/impact", ""},
	{"GET /api/v1/providers", ""},
	{"GET /api/v1/integrations", ""},
	{"POST /api/v1/integrations", "json"},
	{"PATCH /api/v1/integrations/{integration}", "json"},
	{"DELETE /api/v1/integrations/{integration}", ""},
	{"GET /api/v1/connections", ""},
	{"POST /api/v1/connections", "json"},
	{"GET /api/v1/connections/{id}", ""},
	{"DELETE /api/v1/connections/{id}", ""},
	{"POST /api/v1/connections/{id}/reconnect", "json"},
	{"POST /api/v1/connections/{id}/transfer", "json"},
	{"POST /api/v1/connections/{id}/pause", ""},
	{"POST /api/v1/connections/{id}/resume", ""},
	{"POST /api/v1/connections/{id}/diagnose", ""},
	{"GET /api/v1/review", ""},
	{"PUT /api/v1/review/interval", "json"},
	{"POST /api/v1/connections/{id}/reviewed", "json"},
	{"GET /api/v1/attention", ""},
	{"GET /api/v1/audit", ""},
	{"GET /api/v1/webhooks", ""},
	{"POST /api/v1/webhooks", "json"},
	{"DELETE /api/v1/webhooks/{id}", ""},
	{"POST /api/v1/webhooks/{id}/test", ""},
	{"GET /api/v1/webhooks/{id}/deliveries", ""},
	{"GET /api/v1/policies", ""},
	{"PATCH /api/v1/policies/{name}", "json"},
	{"GET /api/v1/openapi.json", ""},
	{"POST /api/v1/users/{user}/remove", "json"},
	{"POST /api/v1/users/{user}/deactivate", "json"},
	{"GET /api/v1/connections/{id}/syncs", ""},
	{"POST /api/v1/connections/{id}/syncs", "json"},
	{"POST /api/v1/connections/{id}/syncs/dry-run", "json"},
	{"PATCH /api/v1/connections/{id}/syncs/{sync}", "json"},
	{"DELETE /api/v1/connections/{id}/syncs/{sync}", ""},
	{"POST /api/v1/connections/{id}/sync-now", ""},
	{"GET /api/v1/connections/{id}/runs", ""},
	{"GET /api/v1/connections/{id}/errors", ""},
	{"POST /api/v1/connections/{id}/errors/{error}/retry", ""},
	{"POST /api/v1/connections/{id}/errors/retry", "json"},
	{"GET /api/v1/connections/{id}/health", ""},
	{"GET /api/v1/tokens", ""},
	{"POST /api/v1/tokens", "json"},
	{"DELETE /api/v1/tokens/{id}", ""},
}

// TestEveryRouteIsListed keeps everyRoute whole: a route added to the hub
// without a row there would go untested.
func TestEveryRouteIsListed(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	listed := map[string]bool{}
	for _, rt := range everyRoute {
		listed[rt.pattern] = true
		// A pattern without a method serves every method of its path.
		_, path, _ := strings.Cut(rt.pattern, " ")
		listed[path] = true
	}
	pages := map[string]bool{}
	for _, p := range env.Hub.PageRoutes() {
		pages[p] = true
	}
	registered := map[string]bool{}
	for _, p := range env.Hub.Routes() {
		registered[p] = true
		if !listed[p] && !pages[p] { // the console's tests cover its pages
			t.Errorf("the hub serves %q, which everyRoute lacks", p)
		}
	}
	for _, rt := range everyRoute {
		_, path, _ := strings.Cut(rt.pattern, " ")
		if !registered[rt.pattern] && !registered[path] {
			t.Errorf("everyRoute lists %q, which the hub does not serve", rt.pattern)
		}
	}
}

var param = regexp.MustCompile(`\{([a-z]+)\}`)

// sample fills a route's parameters with values that get a call past its
// checks to where it reads its input; the one named nul holds a NUL.
func sample(route, nul string) string {
	return param.ReplaceAllStringFunc(route, func(p string) string {
		name := strings.Trim(p, "{}")
		switch {
		case name == nul:
			return "a%00b"
		case name == "type":
			return "contacts"
		case name == "name":
			return "email"
		case name == "user":
			return "admin@example.com"
		}
		return "1"
	})
}

// TestNULIsRefusedOnEveryRoute: a NUL character in a path parameter, a
// query parameter, Basic credentials, a JSON body or a form body is a 400
// naming where it was, in HubSpot's shape, on every route and both backends.
// PostgreSQL cannot store NUL in text, so it used to be a 500 there.
func TestNULIsRefusedOnEveryRoute(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		// Connection 1 exists, so its routes read their bodies.
		if id := connected(t, tb, 0); id != 1 {
			t.Fatalf("the connection is %d, want 1", id)
		}
		for _, rt := range everyRoute {
			method, route, _ := strings.Cut(rt.pattern, " ")
			for _, name := range param.FindAllStringSubmatch(route, -1) {
				r := callRoute(t, tb, method, sample(route, name[1]), "", "")
				wantNUL(t, rt.pattern+" with NUL in "+name[1], route, r, name[1])
			}
			r := callRoute(t, tb, method, sample(route, "")+"?idProperty=a%00b&limit=1", "", "")
			wantNUL(t, rt.pattern+" with NUL in the query", route, r, "idProperty")
			switch rt.body {
			case "json":
				r = callRoute(t, tb, method, sample(route, ""), "application/json",
					`{"properties":{"firstname":"a\u0000b"},"name":"x","inputs":[{"id":"1"}]}`)
				wantNUL(t, rt.pattern+" with NUL in the JSON body", route, r, "properties.firstname")
			case "form":
				r = callRoute(t, tb, method, sample(route, ""), "application/x-www-form-urlencoded",
					"grant_type=refresh_token&refresh_token=r&client_id=a%00b&email=x&password=y")
				wantNUL(t, rt.pattern+" with NUL in the form", route, r, "client_id")
			}
		}
		// Where the path matches no route, and in a JSON key.
		wantNUL(t, "unknown path", "/crm/v3/nothing", callRoute(t, tb, "GET", "/crm/v3/no%00thing", "", ""), "path")
		r := callRoute(t, tb, "POST", objects+"contacts/search", "application/json", `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"IN","values":["a","b\u0000"]}]}]}`)
		wantNUL(t, "search value", "", r, "filterGroups[0].filters[0].values[1]")
		r = callRoute(t, tb, "POST", objects+"contacts", "application/json", `{"properties":{"first\u0000name":"x"}}`)
		wantNUL(t, "JSON key", "", r, `properties."first\x00name"`)
		// An escaped backslash before u0000 is text, not a NUL.
		r = callRoute(t, tb, "POST", objects+"contacts", "application/json", `{"properties":{"firstname":"\\u0000"}}`)
		if r.Status != 201 {
			t.Errorf(`firstname \\u0000: %d %s`, r.Status, r.Body)
		}
	})
}

// TestNULInBasicCredentialsIsRefused: the admin API looks the email up.
func TestNULInBasicCredentialsIsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		req, err := http.NewRequest("GET", tb.env.URL+"/api/v1/apps", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("admin\x00@example.com", "correct horse")
		wantNUL(t, "Basic user", "/api/v1/apps", send(t, tb.env, req), "Authorization")
	})
}

// callRoute makes a call with the credentials its path needs: the bundle's token
// on the CRM API, the admin's password on the admin API.
func callRoute(t *testing.T, tb *testBundle, method, path, contentType, body string) hubtest.Response {
	t.Helper()
	req, err := http.NewRequest(method, tb.env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasPrefix(path, "/crm/"):
		req.Header.Set("Authorization", "Bearer "+tb.token)
	case strings.HasPrefix(path, "/api/"):
		req.SetBasicAuth("admin@example.com", "correct horse")
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return send(t, tb.env, req)
}

// wantNUL checks a refusal of a NUL in field, with RFC 6749's fields too on
// OAuth endpoints.
func wantNUL(t *testing.T, what, route string, r hubtest.Response, field string) {
	t.Helper()
	t.Run(what, func(t *testing.T) {
		e := wantError(t, r, 400, "VALIDATION_ERROR", "NUL_CHARACTER")
		wantContext(t, e, "field", field)
		if strings.HasPrefix(route, "/oauth/") {
			var rfc struct {
				Error string `json:"error"`
			}
			if json.Unmarshal(r.Body, &rfc); rfc.Error != "invalid_request" {
				t.Errorf("error %q on an OAuth endpoint, want invalid_request; body: %s", rfc.Error, r.Body)
			}
		}
		if strings.Contains(string(r.Body), `a\u0000b`) {
			t.Errorf("the answer quotes the value: %s", r.Body)
		}
	})
}

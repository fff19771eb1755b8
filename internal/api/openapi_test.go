package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
)

// openAPIBundle is a hub, its OpenAPI document as served, and a router
// that finds a request's operation in it.
type openAPIBundle struct {
	env    *hubtest.Env
	doc    *openapi3.T
	router routers.Router
	// succeeded are the operations ("GET /api/v1/audit") that answered 2XX.
	succeeded map[string]bool
}

func setupOpenAPI(t *testing.T) *openAPIBundle {
	t.Helper()
	env := hubtest.New(t, hubtest.SQLite)
	resp, err := http.Get(env.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/v1/openapi.json without sign-in: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: env.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &openAPIBundle{env: env, doc: doc, router: router, succeeded: map[string]bool{}}
}

// check sends a request and validates the real answer against the
// document's operation for it; it returns the status and body.
func (b *openAPIBundle) check(t *testing.T, method, path, auth string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, b.env.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	route, params, err := b.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s is not in the document: %v", method, path, err)
		return 0, nil
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	// What the test sends is what the document says the route takes.
	if err := openapi3filter.ValidateRequest(context.Background(), reqIn); err != nil {
		t.Errorf("%s %s: the document does not take this request: %v", method, path, err)
	}
	if req.GetBody != nil {
		req.Body, _ = req.GetBody()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(data)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d, which the document does not describe: %v\n%s", method, path, resp.StatusCode, err, data)
	} else if resp.StatusCode/100 == 2 {
		b.succeeded[method+" "+route.Path] = true
	}
	return resp.StatusCode, data
}

// TestOpenAPIDocumentsEveryRoute: every /api/v1 and /crm route the hub
// serves is in the document, and the document names no other.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	b := setupOpenAPI(t)
	served := map[string]bool{}
	for _, p := range b.env.Hub.Routes() {
		method, path, _ := strings.Cut(p, " ")
		if !strings.HasPrefix(path, "/api/v1/") && !strings.HasPrefix(path, "/crm/") {
			continue
		}
		served[p] = true
		item := b.doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("the OpenAPI document lacks %s", p)
		}
	}
	for path, item := range b.doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("the OpenAPI document names %s %s, which the hub does not serve", method, path)
			}
		}
	}
}

var pathParamRE = regexp.MustCompile(`\{[a-z]+\}`)

// TestOpenAPIErrorsAreTrue: every documented operation, called without
// credentials, answers an error the document describes.
func TestOpenAPIErrorsAreTrue(t *testing.T) {
	b := setupOpenAPI(t)
	for path, item := range b.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue // public
			}
			p := strings.NewReplacer("{type}", "contacts", "{name}", "email").Replace(path)
			p = pathParamRE.ReplaceAllString(p, "1")
			var body any
			if op.RequestBody != nil {
				body = map[string]any{}
			}
			if status, _ := b.check(t, method, p, "", body); status != http.StatusUnauthorized {
				t.Errorf("%s %s without credentials: %d, want 401", method, p, status)
			}
		}
	}
}

// TestOpenAPIAnswersAreTrue: real answers of documented routes, successes
// and errors, match the document.
func TestOpenAPIAnswersAreTrue(t *testing.T) {
	b := setupOpenAPI(t)
	b.env.User(t, "ops@example.com", identity.RoleAdmin, nil)
	admin := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops@example.com:"+hubtest.Password("ops@example.com")))
	type call struct {
		method, path string
		body         any
		want         int
	}
	for _, c := range []call{
		{"GET", "/api/v1/openapi.json", nil, 200},
		{"GET", "/api/v1/webhooks", nil, 200},
		{"POST", "/api/v1/webhooks", map[string]any{"url": "https://receiver.example.org/hook"}, 201},
		{"POST", "/api/v1/webhooks", map[string]any{"url": "ftp://nowhere"}, 400},
		{"GET", "/api/v1/webhooks", nil, 200},
		{"POST", "/api/v1/webhooks/1/test", nil, 202},
		{"POST", "/api/v1/webhooks/99/test", nil, 404},
		{"GET", "/api/v1/webhooks/1/deliveries", nil, 200},
		{"GET", "/api/v1/webhooks/1/deliveries?limit=0", nil, 400},
		{"GET", "/api/v1/webhooks/99/deliveries", nil, 404},
		{"GET", "/api/v1/policies", nil, 200},
		{"PATCH", "/api/v1/policies/oauth.revoke_on_credentials_change", map[string]any{"value": false}, 200},
		{"PATCH", "/api/v1/policies/oauth.revoke_on_credentials_change", map[string]any{}, 400},
		{"PATCH", "/api/v1/policies/no.such_policy", map[string]any{"value": true}, 400},
		{"GET", "/api/v1/audit", nil, 200},
		{"GET", "/api/v1/audit?action=webhook.&actor=ops@example.com&since=1h", nil, 200},
		{"GET", "/api/v1/audit?since=soon", nil, 400},
		{"DELETE", "/api/v1/webhooks/1", nil, 204},
		{"DELETE", "/api/v1/webhooks/1", nil, 404},
		{"GET", "/api/v1/connections", nil, 200},
		{"GET", "/api/v1/connections/99", nil, 404},
		{"GET", "/api/v1/integrations", nil, 200},
		{"GET", "/api/v1/providers", nil, 200},
		{"GET", "/api/v1/review", nil, 200},
		{"GET", "/api/v1/apps", nil, 200},
		{"GET", "/api/v1/grants", nil, 200},
		{"GET", "/api/v1/tokens", nil, 200},
		{"GET", "/api/v1/users/ops@example.com/impact", nil, 200},
	} {
		if status, body := b.check(t, c.method, c.path, admin, c.body); status != c.want {
			t.Errorf("%s %s: %d, want %d\n%s", c.method, c.path, status, c.want, body)
		}
	}
	// The audit filter selects: the webhook events of ops@example.com only.
	_, body := b.check(t, "GET", "/api/v1/audit?action=webhook.&actor=ops@example.com", admin, nil)
	var got struct {
		Results []struct{ Action, Actor string }
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range got.Results {
		actions = append(actions, e.Action)
		if e.Actor != "ops@example.com" {
			t.Errorf("audit filtered by actor lists %+v", e)
		}
	}
	if strings.Join(actions, ",") != "webhook.delete,webhook.test,webhook.create" {
		t.Errorf("audit filtered by action webhook. lists %v", actions)
	}

	token := "Bearer " + b.env.Token(t, "crm.objects.contacts.read", "crm.objects.contacts.write")
	for _, c := range []call{
		{"POST", "/crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"email": "ana@example.com"}}, 201},
		{"GET", "/crm/v3/objects/contacts", nil, 200},
		{"GET", "/crm/v3/objects/contacts/999999", nil, 404},
	} {
		if status, body := b.check(t, c.method, c.path, token, c.body); status != c.want {
			t.Errorf("%s %s: %d, want %d\n%s", c.method, c.path, status, c.want, body)
		}
	}
}

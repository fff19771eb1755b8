package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/hubsync/hubsync/internal/syncer"
)

// openAPIPath is where the hub serves its OpenAPI document, to anyone:
// it describes routes, never data.
const openAPIPath = "/api/v1/openapi.json"

// operation is one documented route and its answers.
type operation struct {
	pattern string
	summary string
	// query names the query parameters the route reads.
	query []string
	// body says the route reads a JSON body; in, when set, is a value of
	// the Go type it reads it into, whose fields the document lists.
	body bool
	in   any
	// ok are the success answers by status: a value of the Go type the
	// handler answers with (its schema is read from the type), noBody, or
	// a schema written out.
	ok map[string]any
	// public routes need no sign-in.
	public bool
}

// noBody is an answer without a body.
type noBody struct{}

// schemaOf is a schema written out, for an answer no Go type names.
type schemaOf map[string]any

// listOf is a list answer: {"results": [...]}.
type listOf[T any] struct {
	Results []T `json:"results"`
}

// Answers of handlers that build them as maps, written as the types they are.
type (
	reviewAnswer struct {
		StaleDays          int             `json:"stale_days"`
		ReviewIntervalDays int             `json:"review_interval_days"`
		Results            []ReviewRowView `json:"results"`
	}
	retryGroupAnswer struct {
		Reason       string `json:"reason"`
		Retried      int    `json:"retried"`
		Resolved     int    `json:"resolved"`
		StillFailing int    `json:"still_failing"`
	}
	reviewIntervalAnswer struct {
		ReviewIntervalDays int `json:"review_interval_days"`
	}
	offboardAnswer struct {
		User        UserView        `json:"user"`
		Connections []DependentView `json:"connections"`
	}
	syncNowAnswer struct {
		ConnectionID int64 `json:"connection_id"`
		Queued       bool  `json:"queued"`
	}
	providerAnswer struct {
		Name  string   `json:"name"`
		Auths []string `json:"auth"`
	}
)

func ok(status string, answer any) map[string]any { return map[string]any{status: answer} }

var (
	none   = noBody{}
	gone   = ok("204", none)
	record = recordJSON{}
	batch  = map[string]any{"200": batchJSON{}, "207": batchJSON{}}
)

// operations are every /api/v1 and /crm route, as registered.
var operations = []operation{
	{pattern: "GET /crm/v3/objects/{type}", summary: "List records of an object type",
		query: []string{"limit", "after", "archived", "properties", "propertiesWithHistory"}, ok: ok("200", listJSON{})},
	{pattern: "POST /crm/v3/objects/{type}", summary: "Create a record", body: true, in: createJSON{}, ok: ok("201", record)},
	{pattern: "GET /crm/v3/objects/{type}/{id}", summary: "Read a record",
		query: []string{"idProperty", "archived", "properties", "propertiesWithHistory"}, ok: ok("200", record)},
	{pattern: "PATCH /crm/v3/objects/{type}/{id}", summary: "Update a record", query: []string{"idProperty"}, body: true, in: createJSON{}, ok: ok("200", record)},
	{pattern: "DELETE /crm/v3/objects/{type}/{id}", summary: "Archive a record", ok: gone},
	{pattern: "POST /crm/v3/objects/{type}/batch/read", summary: "Read records in a batch (207 names the ids not found)", query: []string{"archived"}, body: true, in: batchReadJSON{}, ok: batch},
	{pattern: "POST /crm/v3/objects/{type}/batch/create", summary: "Create records in a batch", body: true, in: batchCreateJSON{}, ok: ok("201", batchJSON{})},
	{pattern: "POST /crm/v3/objects/{type}/batch/update", summary: "Update records in a batch (207 names the ids not found)", body: true, in: batchUpdateJSON{}, ok: batch},
	{pattern: "POST /crm/v3/objects/{type}/batch/upsert", summary: "Create or update records in a batch by a unique property", body: true, in: batchUpdateJSON{}, ok: ok("200", batchJSON{})},
	{pattern: "POST /crm/v3/objects/{type}/batch/archive", summary: "Archive records in a batch", body: true, in: batchArchiveJSON{}, ok: gone},
	{pattern: "POST /crm/v3/objects/{type}/search", summary: "Search records", body: true, in: searchJSON{}, ok: ok("200", searchResultJSON{})},
	{pattern: "GET " + ChangesPath, summary: "List the records the hub's change feed names after a position, in feed order (hubsync only; see ChangesPath)",
		query: []string{"after", "limit", "properties", "wait"}, ok: ok("200", changesJSON{})},
	{pattern: "GET /crm/v3/properties/{type}", summary: "List an object type's properties", query: []string{"archived"}, ok: ok("200", listOf[propertyJSON]{})},
	{pattern: "POST /crm/v3/properties/{type}", summary: "Create a property", body: true, in: propertyCreateJSON{}, ok: ok("201", propertyJSON{})},
	{pattern: "GET /crm/v3/properties/{type}/{name}", summary: "Read a property", query: []string{"archived"}, ok: ok("200", propertyJSON{})},
	{pattern: "PATCH /crm/v3/properties/{type}/{name}", summary: "Update a property", body: true, in: propertyUpdateJSON{}, ok: ok("200", propertyJSON{})},
	{pattern: "DELETE /crm/v3/properties/{type}/{name}", summary: "Archive a property", ok: gone},
	{pattern: "POST /crm/v3/properties/{type}/batch/archive", summary: "Archive properties in a batch", body: true, in: propertyNamesJSON{}, ok: gone},

	{pattern: "GET " + openAPIPath, summary: "This document", public: true,
		ok: ok("200", schemaOf{"type": "object", "required": []string{"openapi", "info", "paths"}})},
	{pattern: "GET /api/v1/apps", summary: "OAuth apps connected to the hub", ok: ok("200", listOf[AppView]{})},
	{pattern: "POST /api/v1/apps", summary: "Register an OAuth app; its client secret is in this answer only", body: true, in: appInputJSON{}, ok: ok("201", AppView{})},
	{pattern: "GET /api/v1/apps/{app}", summary: "Read an OAuth app", ok: ok("200", AppView{})},
	{pattern: "PATCH /api/v1/apps/{app}", summary: "Change an OAuth app", body: true, in: appInputJSON{}, ok: ok("200", AppView{})},
	{pattern: "DELETE /api/v1/apps/{app}", summary: "Delete an OAuth app", ok: gone},
	{pattern: "POST /api/v1/apps/{app}/rotate-secret", summary: "Rotate an app's client secret; the new one is in this answer only", ok: ok("200", AppView{})},
	{pattern: "GET /api/v1/grants", summary: "What users authorized", query: []string{"user", "app"}, ok: ok("200", listOf[GrantView]{})},
	{pattern: "DELETE /api/v1/grants/{grant}", summary: "Revoke a grant", ok: gone},
	{pattern: "GET /api/v1/tokens", summary: "The caller's personal admin tokens", ok: ok("200", listOf[AdminTokenView]{})},
	{pattern: "POST /api/v1/tokens", summary: "Make a personal admin token; the token is in this answer only", body: true, ok: ok("201", AdminTokenView{})},
	{pattern: "DELETE /api/v1/tokens/{id}", summary: "Revoke a personal admin token", ok: gone},
	{pattern: "GET /api/v1/users", summary: "Users", ok: ok("200", listOf[UserView]{})},
	{pattern: "POST /api/v1/users", summary: "Add a user", body: true, in: userInputJSON{}, ok: ok("201", UserView{})},
	{pattern: "PATCH /api/v1/users/{user}", summary: "Change a user's role or permissions; with dry_run, only say what it would degrade",
		body: true, in: userInputJSON{}, ok: ok("200", UserChangeView{})},
	{pattern: "POST /api/v1/users/{user}/reactivate", summary: "Reactivate a deactivated user", ok: ok("200", UserView{})},
	{pattern: "GET /api/v1/private-apps", summary: "Private apps", ok: ok("200", listOf[PrivateAppView]{})},
	{pattern: "POST /api/v1/private-apps", summary: "Create a private app; its token is in this answer only", body: true, ok: ok("201", privateAppTokenView{})},
	{pattern: "POST /api/v1/private-apps/{id}/rotate", summary: "Rotate a private app's token, the old one working for a grace period; the new one is in this answer only",
		body: true, ok: ok("200", privateAppTokenView{})},
	{pattern: "DELETE /api/v1/private-apps/{id}", summary: "Delete a private app", ok: gone},
	{pattern: "GET /api/v1/users/{user}/impact", summary: "What removing the user would break", ok: ok("200", ImpactView{})},
	{pattern: "POST /api/v1/users/{user}/remove", summary: "Remove a user, transferring or forcing", body: true, ok: ok("200", offboardAnswer{})},
	{pattern: "POST /api/v1/users/{user}/deactivate", summary: "Deactivate a user, transferring or forcing", body: true, ok: ok("200", offboardAnswer{})},
	{pattern: "GET /api/v1/providers", summary: "Providers and the authentications they take", ok: ok("200", listOf[providerAnswer]{})},
	{pattern: "GET /api/v1/integrations", summary: "Integrations", ok: ok("200", listOf[IntegrationView]{})},
	{pattern: "POST /api/v1/integrations", summary: "Create an integration", body: true, in: integrationJSON{}, ok: ok("201", IntegrationView{})},
	{pattern: "PATCH /api/v1/integrations/{integration}", summary: "Change an integration", body: true, ok: ok("200", IntegrationView{})},
	{pattern: "DELETE /api/v1/integrations/{integration}", summary: "Delete an integration", ok: gone},
	{pattern: "GET /api/v1/connections", summary: "Connections, filtered, 50 a page when a page is asked for",
		query: []string{"status", "provider", "owner", "q", "page"}, ok: ok("200", listOf[ConnectionView]{})},
	{pattern: "POST /api/v1/connections", summary: "Create a connection: done at once (201), or an approval URL for OAuth (202)", body: true, in: connectionJSON{},
		ok: map[string]any{"201": StartedView{}, "202": StartedView{}}},
	{pattern: "GET /api/v1/connections/{id}", summary: "Read a connection and its health", ok: ok("200", ConnectionSummaryView{})},
	{pattern: "DELETE /api/v1/connections/{id}", summary: "Delete a connection", ok: gone},
	{pattern: "POST /api/v1/connections/{id}/reconnect", summary: "Reconnect: done at once (200), or an approval URL for OAuth (202)", body: true,
		ok: map[string]any{"200": StartedView{}, "202": StartedView{}}},
	{pattern: "POST /api/v1/connections/{id}/transfer", summary: "Transfer a connection to a user or to app mode", body: true, ok: ok("200", ConnectionView{})},
	{pattern: "POST /api/v1/connections/{id}/pause", summary: "Pause a connection", ok: ok("200", ConnectionView{})},
	{pattern: "POST /api/v1/connections/{id}/resume", summary: "Resume a connection", ok: ok("200", ConnectionView{})},
	{pattern: "POST /api/v1/connections/{id}/diagnose", summary: "Run the troubleshooting checklist", ok: ok("200", DiagnosisView{})},
	{pattern: "GET /api/v1/connections/{id}/syncs", summary: "A connection's object syncs", ok: ok("200", listOf[ObjectSyncView]{})},
	{pattern: "POST /api/v1/connections/{id}/syncs", summary: "Add an object sync", body: true, in: objectSyncJSON{}, ok: ok("201", ObjectSyncView{})},
	{pattern: "PATCH /api/v1/connections/{id}/syncs/{sync}", summary: "Change an object sync", body: true, in: objectSyncPatchJSON{}, ok: ok("200", ObjectSyncView{})},
	{pattern: "POST /api/v1/connections/{id}/syncs/dry-run", summary: "What adding (or, with ?sync=, changing) an object sync would create and update on each side; saves nothing",
		query: []string{"sync"}, body: true, ok: ok("200", syncer.Preview{})},
	{pattern: "DELETE /api/v1/connections/{id}/syncs/{sync}", summary: "Remove an object sync", ok: gone},
	{pattern: "POST /api/v1/connections/{id}/sync-now", summary: "Ask for a sync run now", ok: ok("202", syncNowAnswer{})},
	{pattern: "GET /api/v1/connections/{id}/runs", summary: "A connection's runs, newest first", query: []string{"limit"}, ok: ok("200", listOf[RunView]{})},
	{pattern: "GET /api/v1/connections/{id}/errors", summary: "Quarantined records", query: []string{"all", "limit"}, ok: ok("200", listOf[RecordErrorView]{})},
	{pattern: "POST /api/v1/connections/{id}/errors/retry", summary: "Retry every open record error of one kind", body: true, ok: ok("200", retryGroupAnswer{})},
	{pattern: "GET /api/v1/connections/{id}/health", summary: "Per object: in sync, excluded by filter, failing; failing records by kind", ok: ok("200", HealthView{})},
	{pattern: "POST /api/v1/connections/{id}/errors/{error}/retry", summary: "Retry a quarantined record", ok: gone},
	{pattern: "GET /api/v1/review", summary: "Every connection, with review flags and its last review", query: []string{"stale_days"}, ok: ok("200", reviewAnswer{})},
	{pattern: "PUT /api/v1/review/interval", summary: "How many days a connection may go unreviewed", body: true, ok: ok("200", reviewIntervalAnswer{})},
	{pattern: "POST /api/v1/connections/{id}/reviewed", summary: "Record who reviewed a connection and when", body: true, ok: ok("200", ConnectionReviewView{})},
	{pattern: "GET /api/v1/attention", summary: "Connections that need a person: reason, since, next step", ok: ok("200", AttentionView{})},
	{pattern: "GET /api/v1/audit", summary: "The audit log, newest first, filtered",
		query: []string{"actor", "action", "since", "until", "target_type", "target_id", "before", "limit"},
		ok:    ok("200", listOf[AuditView]{})},
	{pattern: "GET /api/v1/webhooks", summary: "Webhooks", ok: ok("200", listOf[WebhookView]{})},
	{pattern: "POST /api/v1/webhooks", summary: "Create a webhook; its signing secret is in this answer only", body: true, in: webhookJSON{}, ok: ok("201", WebhookView{})},
	{pattern: "DELETE /api/v1/webhooks/{id}", summary: "Delete a webhook", ok: gone},
	{pattern: "POST /api/v1/webhooks/{id}/test", summary: "Queue a signed test event", ok: ok("202", DeliveryView{})},
	{pattern: "GET /api/v1/webhooks/{id}/deliveries", summary: "A webhook's recent deliveries and the receiver's answers",
		query: []string{"limit"}, ok: ok("200", listOf[DeliveryView]{})},
	{pattern: "GET /api/v1/policies", summary: "The hub's policies", ok: ok("200", listOf[PolicyView]{})},
	{pattern: "PATCH /api/v1/policies/{name}", summary: "Set a policy", body: true, in: policyJSON{}, ok: ok("200", PolicyView{})},
}

// errorSchema is the shape of every error answer (HubSpot's).
var errorSchema = map[string]any{"type": "object", "required": []string{"status", "message", "correlationId", "category"},
	"properties": map[string]any{
		"status": str(), "message": str(), "correlationId": str(), "category": str(), "subCategory": str(),
		"context": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "array", "items": str()}},
		"errors":  map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
	}}

func str() map[string]any      { return map[string]any{"type": "string"} }
func integer() map[string]any  { return map[string]any{"type": "integer"} }
func boolean() map[string]any  { return map[string]any{"type": "boolean"} }
func dateTime() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }
func stringMap() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": str()}
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// OpenAPIDocument is the OpenAPI 3.1 document of the admin API and the CRM
// routes. A value that may be null says so the 3.1 way, with "null" in its
// list of types (never 3.0's nullable). The tests hold the hub to it with
// kin-openapi, which checks a 3.1 document's messages as JSON Schema
// 2020-12, the dialect 3.1 uses.
func OpenAPIDocument() map[string]any {
	errorAnswer := map[string]any{"description": "An error, in HubSpot's shape",
		"content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	b := &schemaBuilder{components: map[string]any{"Error": errorSchema}}
	input := &schemaBuilder{input: true}
	paths := map[string]any{}
	for _, op := range operations {
		method, path, _ := strings.Cut(op.pattern, " ")
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		for _, q := range op.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": queryTypes(q)})
		}
		responses := map[string]any{"default": errorAnswer}
		for status, answer := range op.ok {
			r := map[string]any{"description": http.StatusText(atoi(status))}
			switch a := answer.(type) {
			case noBody:
			case schemaOf:
				r["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any(a)}}
			default:
				r["content"] = map[string]any{"application/json": map[string]any{"schema": b.of(reflect.TypeOf(a))}}
			}
			responses[status] = r
		}
		o := map[string]any{
			"operationId": operationID(op.pattern),
			"summary":     op.summary,
			"tags":        []string{tag(path)},
			"responses":   responses,
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.body {
			body := map[string]any{"type": "object"}
			if op.in != nil {
				body = input.of(reflect.TypeOf(op.in))
			}
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": body}}}
		}
		switch {
		case op.public:
			o["security"] = []any{}
		case strings.HasPrefix(path, "/crm/"):
			o["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		item[strings.ToLower(method)] = o
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "hubsync", "version": "1",
			"description": "The hub's admin API (/api/v1: personal admin token, HTTP Basic or a browser session with its X-CSRF-Token) and the CRM routes it serves in HubSpot's shape (/crm/v3: an OAuth access token or a private app's token)."},
		"paths": paths,
		"components": map[string]any{
			"schemas": b.components,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"basic":   map[string]any{"type": "http", "scheme": "basic"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "hubsync_session"},
			},
		},
		"security": []any{map[string]any{"bearer": []string{}}, map[string]any{"basic": []string{}}, map[string]any{"session": []string{}}},
	}
}

// operationID names a route for code generators: "GET /api/v1/webhooks/{id}/test"
// becomes "get_webhooks_id_test".
func operationID(pattern string) string {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimPrefix(strings.TrimPrefix(path, "/api/v1"), "/crm/v3")
	r := strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_")
	return strings.ToLower(method) + r.Replace(path)
}

func tag(path string) string {
	if strings.HasPrefix(path, "/crm/") {
		return "crm"
	}
	return strings.SplitN(strings.TrimPrefix(path, "/api/v1/"), "/", 2)[0]
}

var (
	openAPIOnce sync.Once
	openAPIJSON []byte
)

// serveOpenAPI answers the document.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	openAPIOnce.Do(func() {
		var err error
		if openAPIJSON, err = json.MarshalIndent(OpenAPIDocument(), "", "  "); err != nil {
			panic(err) // the document is built from literals
		}
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIJSON)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// ref points at a schema of the document's components.
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// queryTypes is the schema of a query parameter, by its name: the API
// reads every parameter of one name the same way.
func queryTypes(name string) map[string]any {
	switch name {
	case "limit", "before", "stale_days":
		return map[string]any{"type": "integer", "minimum": 0}
	case "archived", "all":
		return boolean()
	case "properties", "propertiesWithHistory":
		return map[string]any{"type": "string", "description": "property names, comma-separated"}
	case "since", "until":
		return map[string]any{"type": "string", "description": "a time (RFC 3339, or without a zone as UTC), a date, or a time ago (90m, 24h, 7d)"}
	case "action":
		return map[string]any{"type": "string", "description": "one action, or every action of a kind when it ends with a dot (connection.)"}
	}
	return str()
}

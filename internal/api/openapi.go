package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// openAPIPath is where the hub serves its OpenAPI document, to anyone:
// it describes routes, never data.
const openAPIPath = "/api/v1/openapi.json"

// operation is one documented route. Routes with a schema of their answer
// name it; the others document their success as any 2XX, their errors by
// the shared Error shape.
type operation struct {
	pattern string
	summary string
	// query names the query parameters the route reads.
	query []string
	// body says the route reads a JSON body.
	body bool
	// status and schema are the success answer, when documented exactly;
	// a status without a schema answers no body.
	status string
	schema map[string]any
	// public routes need no sign-in.
	public bool
}

// ref points at a schema of the document's components.
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// results is a list answer: {"results": [...]}.
func results(item map[string]any) map[string]any {
	return map[string]any{"type": "object", "required": []string{"results"},
		"properties": map[string]any{"results": map[string]any{"type": "array", "items": item}}}
}

// operations are every /api/v1 and /crm route, as registered.
var operations = []operation{
	{pattern: "GET /crm/v3/objects/{type}", summary: "List records of an object type"},
	{pattern: "POST /crm/v3/objects/{type}", summary: "Create a record", body: true},
	{pattern: "GET /crm/v3/objects/{type}/{id}", summary: "Read a record"},
	{pattern: "PATCH /crm/v3/objects/{type}/{id}", summary: "Update a record", body: true},
	{pattern: "DELETE /crm/v3/objects/{type}/{id}", summary: "Archive a record", status: "204"},
	{pattern: "POST /crm/v3/objects/{type}/batch/read", summary: "Read records in a batch", body: true},
	{pattern: "POST /crm/v3/objects/{type}/batch/create", summary: "Create records in a batch", body: true},
	{pattern: "POST /crm/v3/objects/{type}/batch/update", summary: "Update records in a batch", body: true},
	{pattern: "POST /crm/v3/objects/{type}/batch/upsert", summary: "Create or update records in a batch by a unique property", body: true},
	{pattern: "POST /crm/v3/objects/{type}/batch/archive", summary: "Archive records in a batch", body: true},
	{pattern: "POST /crm/v3/objects/{type}/search", summary: "Search records", body: true},
	{pattern: "GET /crm/v3/properties/{type}", summary: "List an object type's properties"},
	{pattern: "POST /crm/v3/properties/{type}", summary: "Create a property", body: true},
	{pattern: "GET /crm/v3/properties/{type}/{name}", summary: "Read a property"},
	{pattern: "PATCH /crm/v3/properties/{type}/{name}", summary: "Update a property", body: true},
	{pattern: "DELETE /crm/v3/properties/{type}/{name}", summary: "Archive a property", status: "204"},
	{pattern: "POST /crm/v3/properties/{type}/batch/archive", summary: "Archive properties in a batch", body: true},

	{pattern: "GET " + openAPIPath, summary: "This document", public: true, status: "200", schema: map[string]any{"type": "object", "required": []string{"openapi", "paths"}}},
	{pattern: "GET /api/v1/apps", summary: "OAuth apps connected to the hub"},
	{pattern: "POST /api/v1/apps", summary: "Register an OAuth app", body: true},
	{pattern: "GET /api/v1/apps/{app}", summary: "Read an OAuth app"},
	{pattern: "PATCH /api/v1/apps/{app}", summary: "Change an OAuth app", body: true},
	{pattern: "DELETE /api/v1/apps/{app}", summary: "Delete an OAuth app"},
	{pattern: "POST /api/v1/apps/{app}/rotate-secret", summary: "Rotate an app's client secret"},
	{pattern: "GET /api/v1/grants", summary: "What users authorized"},
	{pattern: "DELETE /api/v1/grants/{grant}", summary: "Revoke a grant"},
	{pattern: "GET /api/v1/tokens", summary: "The caller's personal admin tokens"},
	{pattern: "POST /api/v1/tokens", summary: "Make a personal admin token", body: true},
	{pattern: "DELETE /api/v1/tokens/{id}", summary: "Revoke a personal admin token"},
	{pattern: "GET /api/v1/users/{user}/impact", summary: "What removing the user would break"},
	{pattern: "POST /api/v1/users/{user}/remove", summary: "Remove a user, transferring or forcing", body: true},
	{pattern: "POST /api/v1/users/{user}/deactivate", summary: "Deactivate a user, transferring or forcing", body: true},
	{pattern: "GET /api/v1/providers", summary: "Providers and their settings"},
	{pattern: "GET /api/v1/integrations", summary: "Integrations"},
	{pattern: "POST /api/v1/integrations", summary: "Create an integration", body: true},
	{pattern: "PATCH /api/v1/integrations/{integration}", summary: "Change an integration", body: true},
	{pattern: "DELETE /api/v1/integrations/{integration}", summary: "Delete an integration"},
	{pattern: "GET /api/v1/connections", summary: "Connections"},
	{pattern: "POST /api/v1/connections", summary: "Create a connection", body: true},
	{pattern: "GET /api/v1/connections/{id}", summary: "Read a connection"},
	{pattern: "DELETE /api/v1/connections/{id}", summary: "Delete a connection"},
	{pattern: "POST /api/v1/connections/{id}/reconnect", summary: "Reconnect: an approval URL for OAuth, else done at once", body: true},
	{pattern: "POST /api/v1/connections/{id}/transfer", summary: "Transfer a connection to a user or to app mode", body: true},
	{pattern: "POST /api/v1/connections/{id}/pause", summary: "Pause a connection"},
	{pattern: "POST /api/v1/connections/{id}/resume", summary: "Resume a connection"},
	{pattern: "POST /api/v1/connections/{id}/diagnose", summary: "Run the troubleshooting checklist"},
	{pattern: "GET /api/v1/connections/{id}/syncs", summary: "A connection's object syncs"},
	{pattern: "POST /api/v1/connections/{id}/syncs", summary: "Add an object sync", body: true},
	{pattern: "PATCH /api/v1/connections/{id}/syncs/{sync}", summary: "Change an object sync", body: true},
	{pattern: "DELETE /api/v1/connections/{id}/syncs/{sync}", summary: "Remove an object sync"},
	{pattern: "POST /api/v1/connections/{id}/sync-now", summary: "Ask for a sync run now"},
	{pattern: "GET /api/v1/connections/{id}/runs", summary: "A connection's runs, newest first", query: []string{"limit"}},
	{pattern: "GET /api/v1/connections/{id}/errors", summary: "Quarantined records", query: []string{"all", "limit"}},
	{pattern: "POST /api/v1/connections/{id}/errors/{error}/retry", summary: "Retry a quarantined record"},
	{pattern: "GET /api/v1/review", summary: "Every connection, with review flags"},
	{pattern: "GET /api/v1/audit", summary: "The audit log, newest first, filtered",
		query:  []string{"actor", "action", "since", "until", "target_type", "target_id", "before", "limit"},
		status: "200", schema: results(ref("AuditEvent"))},
	{pattern: "GET /api/v1/webhooks", summary: "Webhooks", status: "200", schema: results(ref("Webhook"))},
	{pattern: "POST /api/v1/webhooks", summary: "Create a webhook; its signing secret is in this answer only", body: true,
		status: "201", schema: ref("Webhook")},
	{pattern: "DELETE /api/v1/webhooks/{id}", summary: "Delete a webhook", status: "204"},
	{pattern: "POST /api/v1/webhooks/{id}/test", summary: "Queue a signed test event", status: "202", schema: ref("Delivery")},
	{pattern: "GET /api/v1/webhooks/{id}/deliveries", summary: "A webhook's recent deliveries and the receiver's answers",
		query: []string{"limit"}, status: "200", schema: results(ref("Delivery"))},
	{pattern: "GET /api/v1/policies", summary: "The hub's policies", status: "200", schema: results(ref("Policy"))},
	{pattern: "PATCH /api/v1/policies/{name}", summary: "Set a policy", body: true, status: "200", schema: ref("Policy")},
}

// schemas are the shapes the documented answers share.
var schemas = map[string]any{
	"Error": map[string]any{"type": "object", "required": []string{"status", "message", "correlationId", "category"},
		"properties": map[string]any{
			"status": str(), "message": str(), "correlationId": str(), "category": str(), "subCategory": str(),
			"context": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "array", "items": str()}},
			"errors":  map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
		}},
	"AuditEvent": object([]string{"seq", "at", "actor", "action", "target_type", "target_id"}, map[string]any{
		"seq": integer(), "at": dateTime(), "actor": str(), "actor_id": integer(), "action": str(), "target_type": str(),
		"target_id": str(), "before": stringMap(), "after": stringMap()}),
	"Webhook": object([]string{"id", "url", "events", "created_at"}, map[string]any{
		"id": integer(), "url": str(), "events": map[string]any{"type": "array", "items": str()},
		"secret": str(), "created_at": dateTime()}),
	"Delivery": object([]string{"id", "webhook_id", "event", "state", "attempts", "created_at"}, map[string]any{
		"id": integer(), "webhook_id": integer(), "connection_id": integer(), "event": str(),
		"state":    map[string]any{"type": "string", "enum": []string{"pending", "delivered", "failed", "suppressed"}},
		"attempts": integer(), "status_code": integer(), "last_error": str(), "created_at": dateTime(),
		"next_attempt_at": dateTime(), "delivered_at": dateTime()}),
	"Policy": object([]string{"name", "value", "default", "description"}, map[string]any{
		"name": str(), "value": boolean(), "default": boolean(), "description": str()}),
}

func str() map[string]any      { return map[string]any{"type": "string"} }
func integer() map[string]any  { return map[string]any{"type": "integer"} }
func boolean() map[string]any  { return map[string]any{"type": "boolean"} }
func dateTime() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }
func stringMap() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": str()}
}

// object is a closed object: an answer with a field the document does not
// name fails the tests that hold the document to the hub.
func object(required []string, props map[string]any) map[string]any {
	return map[string]any{"type": "object", "required": required, "properties": props, "additionalProperties": false}
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// OpenAPIDocument is the OpenAPI 3.1 document of the admin API and the CRM
// routes. It keeps to what OpenAPI 3.0 and 3.1 read alike (no type lists,
// no nullable), so 3.0 validators check it too.
func OpenAPIDocument() map[string]any {
	errorAnswer := map[string]any{"description": "An error, in HubSpot's shape",
		"content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
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
			params = append(params, map[string]any{"name": q, "in": "query", "schema": str()})
		}
		success := map[string]any{"description": "Done"}
		if op.schema != nil {
			success["content"] = map[string]any{"application/json": map[string]any{"schema": op.schema}}
		}
		status := op.status
		if status == "" {
			status = "2XX"
		}
		o := map[string]any{
			"operationId": operationID(op.pattern),
			"summary":     op.summary,
			"tags":        []string{tag(path)},
			"responses":   map[string]any{status: success, "default": errorAnswer},
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.body {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
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
			"schemas": schemas,
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

package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// call checks one request against the document (see check), fails t when
// its status is not want, and decodes the answer.
func (b *openAPIBundle) call(t *testing.T, want int, method, path, auth string, body any) map[string]any {
	t.Helper()
	status, data := b.check(t, method, path, auth, body)
	if status != want {
		t.Fatalf("%s %s: %d, want %d\n%s", method, path, status, want, data)
	}
	out := map[string]any{}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return out
}

func basicAuth(email string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+hubtest.Password(email)))
}

// TestOpenAPIHappyPathsAreTrue walks every documented operation to a
// success, each answer validated against the document, and then checks
// that none was left out: a route documented without a step here fails.
func TestOpenAPIHappyPathsAreTrue(t *testing.T) {
	b := setupOpenAPI(t)
	env := b.env
	env.User(t, "ops@example.com", identity.RoleAdmin, nil)
	env.User(t, "sam@example.com", identity.RoleMember, map[string]string{"contacts": "edit"})
	env.User(t, "kim@example.com", identity.RoleAdmin, nil)
	env.User(t, "lee@example.com", identity.RoleMember, nil)
	admin := basicAuth("ops@example.com")
	crm := "Bearer " + env.Token(t, hubtest.AllScopes...)
	id := func(m map[string]any) string { return fmt.Sprint(m["id"]) }

	// CRM records.
	objects := "/crm/v3/objects/contacts"
	ana := b.call(t, 201, "POST", objects, crm, map[string]any{"properties": map[string]string{"email": "ana@example.com"}})
	b.call(t, 200, "GET", objects, crm, nil)
	b.call(t, 200, "GET", objects+"/"+id(ana), crm, nil)
	b.call(t, 200, "PATCH", objects+"/"+id(ana), crm, map[string]any{"properties": map[string]string{"firstname": "Ana"}})
	b.call(t, 200, "POST", objects+"/batch/read", crm, map[string]any{"inputs": []map[string]string{{"id": id(ana)}}, "properties": []string{"email"}})
	b.call(t, 207, "POST", objects+"/batch/read", crm, map[string]any{"inputs": []map[string]string{{"id": id(ana)}, {"id": "999999"}}})
	created := b.call(t, 201, "POST", objects+"/batch/create", crm, map[string]any{"inputs": []map[string]any{
		{"properties": map[string]string{"email": "bo@example.com"}}}})
	bo := created["results"].([]any)[0].(map[string]any)
	b.call(t, 200, "POST", objects+"/batch/update", crm, map[string]any{"inputs": []map[string]any{
		{"id": id(bo), "properties": map[string]string{"firstname": "Bo"}}}})
	b.call(t, 200, "POST", objects+"/batch/upsert", crm, map[string]any{"inputs": []map[string]any{
		{"idProperty": "email", "id": "cy@example.com", "properties": map[string]string{"firstname": "Cy"}}}})
	b.call(t, 200, "POST", objects+"/search", crm, map[string]any{"filterGroups": []map[string]any{{"filters": []map[string]string{
		{"propertyName": "email", "operator": "EQ", "value": "ana@example.com"}}}}})
	feed := b.call(t, 200, "GET", "/crm/hubsync/v1/objects/contacts/changes?limit=2&properties=email", crm, nil)
	b.call(t, 200, "GET", "/crm/hubsync/v1/objects/contacts/changes?after="+fmt.Sprint(feed["position"]), crm, nil)
	b.call(t, 204, "DELETE", objects+"/"+id(ana), crm, nil)
	b.call(t, 204, "POST", objects+"/batch/archive", crm, map[string]any{"inputs": []map[string]string{{"id": id(bo)}}})

	// CRM properties.
	props := "/crm/v3/properties/contacts"
	b.call(t, 200, "GET", props, crm, nil)
	for _, name := range []string{"favorite_color", "shoe_size"} {
		b.call(t, 201, "POST", props, crm, map[string]any{"name": name, "label": name, "type": "string",
			"fieldType": "text", "groupName": "contactinformation"})
	}
	b.call(t, 200, "GET", props+"/favorite_color", crm, nil)
	b.call(t, 200, "PATCH", props+"/favorite_color", crm, map[string]any{"label": "Favourite colour"})
	b.call(t, 204, "DELETE", props+"/favorite_color", crm, nil)
	b.call(t, 204, "POST", props+"/batch/archive", crm, map[string]any{"inputs": []map[string]string{{"name": "shoe_size"}}})

	// The document itself, without sign-in.
	b.call(t, 200, "GET", "/api/v1/openapi.json", "", nil)

	// Apps and grants.
	app := b.call(t, 201, "POST", "/api/v1/apps", admin, map[string]any{"name": "Billing",
		"redirect_uris": []string{"http://127.0.0.1:9/cb"}, "scopes": []string{"crm.objects.contacts.read"}})
	clientID := app["client_id"].(string)
	b.call(t, 200, "GET", "/api/v1/apps", admin, nil)
	b.call(t, 200, "GET", "/api/v1/apps/"+clientID, admin, nil)
	b.call(t, 200, "PATCH", "/api/v1/apps/"+clientID, admin, map[string]any{"name": "Billing 2"})
	b.call(t, 200, "POST", "/api/v1/apps/"+clientID+"/rotate-secret", admin, nil)
	consentURL := env.URL + "/oauth/authorize?" + url.Values{"client_id": {clientID}, "redirect_uri": {"http://127.0.0.1:9/cb"},
		"response_type": {"code"}, "scope": {"crm.objects.contacts.read"}, "state": {"state-123456"}}.Encode()
	env.Browser().Consent(t, consentURL, "sam@example.com")
	grants := b.call(t, 200, "GET", "/api/v1/grants", admin, nil)["results"].([]any)
	if len(grants) != 1 {
		t.Fatalf("grants after consent: %v", grants)
	}
	b.call(t, 204, "DELETE", "/api/v1/grants/"+url.PathEscape(grants[0].(map[string]any)["id"].(string)), admin, nil)
	b.call(t, 204, "DELETE", "/api/v1/apps/"+clientID, admin, nil)

	// Personal admin tokens.
	tok := b.call(t, 201, "POST", "/api/v1/tokens", admin, map[string]any{"name": "deploy"})
	b.call(t, 200, "GET", "/api/v1/tokens", admin, nil)
	b.call(t, 204, "DELETE", "/api/v1/tokens/"+id(tok), admin, nil)

	// Integrations and connections, to another hub by private app token.
	ext := hubtest.New(t, hubtest.SQLite)
	b.call(t, 200, "GET", "/api/v1/providers", admin, nil)
	b.call(t, 201, "POST", "/api/v1/integrations", admin, map[string]any{"name": "other-hub", "provider": "hubspot",
		"auth": "private_app", "base_url": ext.URL})
	b.call(t, 201, "POST", "/api/v1/integrations", admin, map[string]any{"name": "spare", "provider": "hubspot",
		"auth": "private_app", "base_url": ext.URL})
	b.call(t, 200, "GET", "/api/v1/integrations", admin, nil)
	b.call(t, 200, "PATCH", "/api/v1/integrations/spare", admin, map[string]any{"settings": map[string]string{}})
	b.call(t, 204, "DELETE", "/api/v1/integrations/spare", admin, nil)
	started := b.call(t, 201, "POST", "/api/v1/connections", admin, map[string]any{"integration": "other-hub", "name": "crm",
		"auth_mode": "app", "owner": "kim@example.com", "objects": []string{"contacts"},
		"credential": map[string]string{"api_key": ext.Token(t, hubtest.AllScopes...)}})
	conn := "/api/v1/connections/" + fmt.Sprint(started["connection"].(map[string]any)["id"])
	b.call(t, 200, "GET", "/api/v1/connections", admin, nil)
	b.call(t, 200, "GET", conn, admin, nil)
	b.call(t, 200, "POST", conn+"/pause", admin, nil)
	b.call(t, 200, "POST", conn+"/resume", admin, nil)
	b.call(t, 200, "POST", conn+"/diagnose", admin, nil)
	b.call(t, 200, "POST", conn+"/transfer", admin, map[string]any{"to": "ops@example.com"})
	b.call(t, 200, "POST", conn+"/reconnect", admin, map[string]any{"credential": map[string]string{"api_key": ext.Token(t, hubtest.AllScopes...)}})
	sync := b.call(t, 201, "POST", conn+"/syncs", admin, map[string]any{"hub_object": "contacts", "external_object": "contacts",
		"direction": "two_way", "mappings": []map[string]string{{"hub": "email", "app": "email"}}, "hub_match_key": "email",
		"app_match_key": "email", "conflict_rule": "most_recent"})
	b.call(t, 200, "GET", conn+"/syncs", admin, nil)
	b.call(t, 200, "PATCH", conn+"/syncs/"+id(sync), admin, map[string]any{"propagate_deletes": true})
	b.call(t, 202, "POST", conn+"/sync-now", admin, nil)
	b.call(t, 200, "GET", conn+"/runs", admin, nil)
	b.call(t, 200, "POST", conn+"/syncs/dry-run?sync="+id(sync), admin, map[string]any{"propagate_deletes": false})
	// A record the app refused, as a run against a misbehaving app leaves it.
	var refused store.RecordError
	err := env.Hub.Store.Update(context.Background(), func(tx store.Tx) (err error) {
		refused, err = tx.PutRecordError(context.Background(), store.RecordError{SyncID: int64(sync["id"].(float64)), Side: "app",
			HubID: 1, Reason: "validation", Message: "Property email is not valid", Attempts: 1,
			CreatedAt: time.Now(), UpdatedAt: time.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.call(t, 200, "GET", conn+"/errors?all=true", admin, nil)
	b.call(t, 200, "GET", conn+"/health", admin, nil)
	b.call(t, 200, "POST", conn+"/errors/retry", admin, map[string]any{"reason": "another_kind"})
	b.call(t, 204, "POST", conn+"/errors/"+fmt.Sprint(refused.ID)+"/retry", admin, nil)
	b.call(t, 204, "DELETE", conn+"/syncs/"+id(sync), admin, nil)
	b.call(t, 200, "GET", "/api/v1/review", admin, nil)
	b.call(t, 200, "PUT", "/api/v1/review/interval", admin, map[string]any{"days": 30})
	b.call(t, 200, "POST", conn+"/reviewed", admin, map[string]any{"note": "still needed"})
	b.call(t, 200, "GET", "/api/v1/attention", admin, nil)

	// Private apps.
	pa := b.call(t, 201, "POST", "/api/v1/private-apps", admin, map[string]any{"name": "export", "scopes": []string{"crm.objects.contacts.read"}})
	b.call(t, 200, "GET", "/api/v1/private-apps", admin, nil)
	b.call(t, 200, "POST", "/api/v1/private-apps/"+id(pa)+"/rotate", admin, map[string]any{"grace": "1h"})
	b.call(t, 204, "DELETE", "/api/v1/private-apps/"+id(pa), admin, nil)

	// Users: adding, changing, what removing one breaks, and offboarding.
	b.call(t, 201, "POST", "/api/v1/users", admin, map[string]any{"email": "new@example.com", "role": "member"})
	b.call(t, 200, "GET", "/api/v1/users", admin, nil)
	b.call(t, 200, "PATCH", "/api/v1/users/new@example.com", admin, map[string]any{"permissions": map[string]string{"contacts": "view"}, "dry_run": true})
	b.call(t, 200, "GET", "/api/v1/users/ops@example.com/impact", admin, nil)
	b.call(t, 200, "POST", "/api/v1/users/sam@example.com/deactivate", admin, map[string]any{"force": true})
	b.call(t, 200, "POST", "/api/v1/users/sam@example.com/reactivate", admin, nil)
	b.call(t, 200, "POST", "/api/v1/users/lee@example.com/remove", admin, map[string]any{"force": true})

	// Webhooks, policies and the audit log.
	hook := b.call(t, 201, "POST", "/api/v1/webhooks", admin, map[string]any{"url": "https://receiver.example.org/hook"})
	b.call(t, 200, "GET", "/api/v1/webhooks", admin, nil)
	b.call(t, 202, "POST", "/api/v1/webhooks/"+id(hook)+"/test", admin, nil)
	b.call(t, 200, "GET", "/api/v1/webhooks/"+id(hook)+"/deliveries", admin, nil)
	b.call(t, 204, "DELETE", "/api/v1/webhooks/"+id(hook), admin, nil)
	b.call(t, 200, "GET", "/api/v1/policies", admin, nil)
	b.call(t, 200, "PATCH", "/api/v1/policies/oauth.revoke_on_credentials_change", admin, map[string]any{"value": false})
	b.call(t, 200, "GET", "/api/v1/audit?since=1h", admin, nil)
	b.call(t, 204, "DELETE", conn, admin, nil)

	for path, item := range b.doc.Paths.Map() {
		for method := range item.Operations() {
			op := method + " " + path
			if !b.succeeded[op] {
				t.Errorf("%s is documented but this walk never got a success from it", op)
			}
		}
	}
	if len(b.succeeded) < 60 {
		t.Errorf("the walk succeeded on %d operations:\n%s", len(b.succeeded), strings.Join(slices.Sorted(maps.Keys(b.succeeded)), "\n"))
	}
}

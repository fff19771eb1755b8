package connection_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
)

// A change of the connector's permissions previews, over the API's dry
// run, the connections it would degrade and saves nothing; the same change
// saved then degrades exactly those.
func TestUserChangeDryRun(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	other := tb.connect(t, connection.NewConnection{Name: "contacts only", Owner: tb.connector.Email, Objects: []string{"contacts"}})
	path := "/api/v1/users/" + tb.connector.Email
	change := map[string]any{"permissions": map[string]string{"deals": "view"}, "dry_run": true}
	status, body := tb.call(t, "admin@example.com", http.MethodPatch, path, change)
	var preview struct {
		User struct {
			Permissions map[string]string `json:"permissions"`
		} `json:"user"`
		Reduced  []string `json:"reduced"`
		Degraded []struct {
			Connection struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"connection"`
			Status, Reason, Sentence string
		} `json:"degraded"`
		DryRun bool `json:"dry_run"`
	}
	if err := json.Unmarshal([]byte(body), &preview); status != http.StatusOK || err != nil {
		t.Fatalf("dry run: %d %s (%v)", status, body, err)
	}
	if !preview.DryRun || preview.User.Permissions["deals"] != "view" || strings.Join(preview.Reduced, ",") != "deals" {
		t.Fatalf("dry run says: %s", body)
	}
	if len(preview.Degraded) != 1 || preview.Degraded[0].Connection.ID != c.ID || preview.Degraded[0].Status != connection.StatusDegraded ||
		preview.Degraded[0].Reason != connection.ReasonPermissionsReduced || !strings.Contains(preview.Degraded[0].Sentence, "deals") {
		t.Fatalf("dry run lists %s; want only connection %d, degraded for deals (not %d, which syncs contacts only)", body, c.ID, other.ID)
	}
	u, err := tb.b.Hub.Identity.User(context.Background(), tb.connector.Email)
	if err != nil || u.Permissions["deals"] != identity.AccessEdit {
		t.Fatalf("the dry run saved: %v (%v)", u.Permissions, err)
	}
	tb.wantStatus(t, c.ID, connection.StatusActive, "")

	delete(change, "dry_run")
	if status, body := tb.call(t, "admin@example.com", http.MethodPatch, path, change); status != http.StatusOK || !strings.Contains(body, `"dry_run":false`) {
		t.Fatalf("the change: %d %s", status, body)
	}
	tb.wantStatus(t, c.ID, connection.StatusDegraded, connection.ReasonPermissionsReduced)
	tb.wantStatus(t, other.ID, connection.StatusActive, "")
}

// A plain admin may not change, make or offboard a super admin; the rules
// are identity's, and the API and the console both apply them.
func TestSuperAdminIsChangedOnlyBySuperAdmins(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	refused := []struct {
		method, path string
		body         map[string]any
	}{
		{http.MethodPatch, "/api/v1/users/admin@example.com", map[string]any{"role": "member"}},
		{http.MethodPatch, "/api/v1/users/" + tb.connector.Email, map[string]any{"role": "super_admin"}},
		{http.MethodPost, "/api/v1/users", map[string]any{"email": "boss@b.example", "role": "super_admin"}},
		{http.MethodPost, "/api/v1/users/admin@example.com/remove", map[string]any{"force": true}},
		{http.MethodPost, "/api/v1/users/admin@example.com/deactivate", map[string]any{"force": true}},
	}
	for _, r := range refused {
		if status, body := tb.call(t, tb.other.Email, r.method, r.path, r.body); status != http.StatusForbidden {
			t.Errorf("%s %s by a plain admin: %d %s", r.method, r.path, status, body)
		}
	}
	u, err := tb.b.Hub.Identity.User(context.Background(), "admin@example.com")
	if err != nil || u.Role != identity.RoleSuperAdmin || u.Status != identity.StatusActive {
		t.Fatalf("the super admin after the refusals: %s %s (%v)", u.Role, u.Status, err)
	}
	if status, body := tb.call(t, tb.other.Email, http.MethodPost, "/api/v1/users", map[string]any{"email": "new@b.example", "role": "member"}); status != http.StatusCreated {
		t.Fatalf("a plain admin adding a member: %d %s", status, body)
	}
	status, body := tb.call(t, tb.other.Email, http.MethodGet, "/api/v1/users", nil)
	if status != http.StatusOK || !strings.Contains(body, "new@b.example") || !strings.Contains(body, tb.connector.Email) {
		t.Fatalf("list users: %d %s", status, body)
	}
	if status, _ := tb.call(t, tb.viewer.Email, http.MethodGet, "/api/v1/users", nil); status != http.StatusForbidden {
		t.Fatalf("a member listing users: %d", status)
	}
	if status, body := tb.call(t, tb.other.Email, http.MethodPost, "/api/v1/users/new@b.example/deactivate", nil); status != http.StatusOK || !strings.Contains(body, `"deactivated"`) {
		t.Fatalf("deactivate: %d %s", status, body)
	}
	if status, _ := tb.call(t, tb.viewer.Email, http.MethodPost, "/api/v1/users/new@b.example/reactivate", nil); status != http.StatusForbidden {
		t.Fatalf("a member reactivating: %d", status)
	}
	if status, body := tb.call(t, tb.other.Email, http.MethodPost, "/api/v1/users/new@b.example/reactivate", nil); status != http.StatusOK || !strings.Contains(body, `"status":"active"`) {
		t.Fatalf("reactivate: %d %s", status, body)
	}
}

// Private apps over the API: the token is in the create's and the
// rotation's answers only, and ends with a delete.
func TestPrivateAppsAPI(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	status, body := tb.call(t, "admin@example.com", http.MethodPost, "/api/v1/private-apps",
		map[string]any{"name": "export", "scopes": []string{"crm.objects.contacts.read"}})
	var made struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &made); status != http.StatusCreated || err != nil || made.Token == "" {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, body := tb.call(t, "admin@example.com", http.MethodGet, "/api/v1/private-apps", nil); status != http.StatusOK ||
		!strings.Contains(body, `"export"`) || strings.Contains(body, made.Token) {
		t.Fatalf("list: %d %s", status, body)
	}
	if status, body := tb.call(t, "admin@example.com", http.MethodPost, "/api/v1/private-apps", map[string]any{"name": "x", "scopes": []string{"nope"}}); status != http.StatusBadRequest {
		t.Fatalf("unknown scope: %d %s", status, body)
	}
	id := strconv.FormatInt(made.ID, 10)
	status, body = tb.call(t, "admin@example.com", http.MethodPost, "/api/v1/private-apps/"+id+"/rotate", map[string]any{"grace": "1h"})
	if status != http.StatusOK || !strings.Contains(body, `"token":"pat-`) || strings.Contains(body, made.Token) {
		t.Fatalf("rotate: %d %s", status, body)
	}
	if status, _ := tb.call(t, tb.viewer.Email, http.MethodDelete, "/api/v1/private-apps/"+id, nil); status != http.StatusForbidden {
		t.Fatalf("a member deleting: %d", status)
	}
	if status, body := tb.call(t, "admin@example.com", http.MethodDelete, "/api/v1/private-apps/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	if r := tb.b.Do(t, http.MethodGet, "/crm/v3/objects/contacts", made.Token, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the deleted app's token: %d", r.Status)
	}
}

package connection_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// call makes an admin API request to hub B as email, with HTTP Basic.
func (tb *testBundle) call(t *testing.T, email, method, path string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, tb.b.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(email, hubtest.Password(email))
	if email == "admin@example.com" {
		req.SetBasicAuth(email, "correct horse")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestAdminAPIGovernance(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	id := strconv.FormatInt(c.ID, 10)
	mutations := []struct{ method, path string }{
		{"POST", "/api/v1/integrations"},
		{"DELETE", "/api/v1/integrations/" + tb.integration.Name},
		{"POST", "/api/v1/connections"},
		{"DELETE", "/api/v1/connections/" + id},
		{"POST", "/api/v1/connections/" + id + "/reconnect"},
		{"POST", "/api/v1/connections/" + id + "/transfer"},
		{"POST", "/api/v1/connections/" + id + "/pause"},
		{"POST", "/api/v1/connections/" + id + "/resume"},
		{"POST", "/api/v1/connections/" + id + "/diagnose"},
		{"POST", "/api/v1/webhooks"},
		{"DELETE", "/api/v1/webhooks/1"},
		{"POST", "/api/v1/users/" + tb.connector.Email + "/remove"},
	}
	for _, m := range mutations {
		if status, body := tb.call(t, tb.viewer.Email, m.method, m.path, map[string]any{}); status != http.StatusForbidden {
			t.Errorf("%s %s by a member without integrations.manage: %d %s", m.method, m.path, status, body)
		}
	}
	tb.wantStatus(t, c.ID, connection.StatusActive, "")

	cred, err := tb.b.Hub.Connections.Credential(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/connections", "/api/v1/connections/" + id, "/api/v1/integrations", "/api/v1/review", "/api/v1/audit"} {
		status, body := tb.call(t, "admin@example.com", "GET", path, nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		for _, secret := range []string{cred.AccessToken, cred.RefreshToken} {
			if strings.Contains(body, secret) {
				t.Fatalf("GET %s shows a credential", path)
			}
		}
	}

	if status, body := tb.call(t, tb.other.Email, "POST", "/api/v1/users/admin@example.com/deactivate", map[string]any{"force": true}); status != http.StatusForbidden {
		t.Fatalf("an admin deactivated a super admin: %d %s", status, body)
	}
	status, body := tb.call(t, "admin@example.com", "POST", "/api/v1/users/"+tb.connector.Email+"/remove", nil)
	if status != http.StatusConflict || !strings.Contains(body, "USER_HAS_CONNECTIONS") || !strings.Contains(body, "B to A") {
		t.Fatalf("removing a connector without transfer: %d %s", status, body)
	}
	status, body = tb.call(t, "admin@example.com", "GET", "/api/v1/users/"+tb.connector.Email+"/impact", nil)
	if status != http.StatusOK || !strings.Contains(body, `"role":"connector"`) {
		t.Fatalf("impact: %d %s", status, body)
	}
	status, body = tb.call(t, "admin@example.com", "POST", "/api/v1/users/"+tb.connector.Email+"/remove",
		map[string]any{"transfer_to": tb.other.Email})
	if status != http.StatusOK {
		t.Fatalf("remove with transfer: %d %s", status, body)
	}
	if got := tb.wantStatus(t, c.ID, connection.StatusActive, ""); got.OwnerID != tb.other.ID {
		t.Fatalf("owner %d after offboarding with transfer", got.OwnerID)
	}

	status, body = tb.call(t, "admin@example.com", "POST", "/api/v1/connections/"+id+"/diagnose", nil)
	if status != http.StatusOK || !strings.Contains(body, `"external_credential"`) {
		t.Fatalf("diagnose: %d %s", status, body)
	}
	status, body = tb.call(t, "admin@example.com", "POST", "/api/v1/connections/"+id+"/transfer", map[string]any{"auth_mode": "app"})
	if status != http.StatusOK || !strings.Contains(body, `"auth_mode":"app"`) {
		t.Fatalf("transfer to app mode: %d %s", status, body)
	}
	status, body = tb.call(t, "admin@example.com", "POST", "/api/v1/connections/"+id+"/reconnect", nil)
	if status != http.StatusAccepted || !strings.Contains(body, "authorize_url") {
		t.Fatalf("reconnect: %d %s", status, body)
	}
	status, body = tb.call(t, "admin@example.com", "POST", "/api/v1/connections", map[string]any{
		"integration": tb.integration.Name, "name": "second", "owner": tb.other.Email})
	if status != http.StatusAccepted || !strings.Contains(body, "authorize_url") || !strings.Contains(body, `"code":"awaiting_consent"`) ||
		!strings.Contains(body, `"id":2`) {
		t.Fatalf("create of an OAuth connection: %d %s", status, body)
	}
	status, body = tb.call(t, "admin@example.com", "GET", "/api/v1/audit?target_type=connection&target_id="+id, nil)
	for _, action := range []string{"connection.create", "connection.transfer"} {
		if !strings.Contains(body, action) {
			t.Errorf("audit via the API lacks %s: %d %s", action, status, body)
		}
	}
}

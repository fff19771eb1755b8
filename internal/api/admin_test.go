package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// adminDo calls the admin API with HTTP Basic credentials of email (none
// when it is empty) and decodes the answer.
func adminDo(t *testing.T, env *hubtest.Env, email, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r hubtest.Response
	if email == "" {
		r = env.Do(t, method, path, "", body)
	} else {
		r = env.AdminDo(t, email, method, path, body)
	}
	var out map[string]any
	json.Unmarshal(r.Body, &out)
	return r.Status, out
}

func TestAdminAppsAndGrants(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		env := tb.env
		env.User(t, "ops@example.com", "admin", nil)
		env.User(t, "sam@example.com", "member", map[string]string{"contacts": "edit"})

		status, app := adminDo(t, env, "ops@example.com", http.MethodPost, "/api/v1/apps", map[string]any{
			"name": "Billing", "redirect_uris": []string{"http://127.0.0.1:9/cb"}, "scopes": []string{"crm.objects.contacts.read"}})
		if status != http.StatusCreated || app["client_secret"] == "" || app["client_id"] == "" {
			t.Fatalf("create app: %d %v", status, app)
		}
		id := app["client_id"].(string)
		status, list := adminDo(t, env, "ops@example.com", http.MethodGet, "/api/v1/apps", nil)
		if status != http.StatusOK || strings.Contains(mustJSON(list), app["client_secret"].(string)) {
			t.Errorf("list apps: %d, or it shows the secret: %v", status, list)
		}
		status, upd := adminDo(t, env, "ops@example.com", http.MethodPatch, "/api/v1/apps/"+id, map[string]any{"name": "Billing 2"})
		if status != http.StatusOK || upd["name"] != "Billing 2" || len(upd["redirect_uris"].([]any)) != 1 {
			t.Errorf("patch name only: %d %v", status, upd)
		}
		status, rot := adminDo(t, env, "ops@example.com", http.MethodPost, "/api/v1/apps/"+id+"/rotate-secret", nil)
		if status != http.StatusOK || rot["client_secret"] == app["client_secret"] || rot["client_secret"] == nil {
			t.Errorf("rotate secret: %d %v", status, rot)
		}
		if status, body := adminDo(t, env, "ops@example.com", http.MethodPost, "/api/v1/apps", map[string]any{
			"name": "x", "redirect_uris": []string{"http://127.0.0.1:9/cb"}, "scopes": []string{"crm.objects.tickets.read"}}); status != http.StatusBadRequest {
			t.Errorf("unknown scope: %d %v", status, body)
		}

		// A member without integrations.manage may not touch apps or grants.
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/apps"}, {http.MethodPost, "/api/v1/apps"}, {http.MethodDelete, "/api/v1/apps/" + id},
			{http.MethodGet, "/api/v1/grants"}, {http.MethodDelete, "/api/v1/grants/x"}, {http.MethodGet, "/api/v1/users/ops@example.com/impact"},
		} {
			if status, body := adminDo(t, env, "sam@example.com", c.method, c.path, map[string]any{}); status != http.StatusForbidden {
				t.Errorf("member %s %s: %d %v", c.method, c.path, status, body)
			}
		}
		if status, _ := adminDo(t, env, "", http.MethodGet, "/api/v1/apps", nil); status != http.StatusUnauthorized {
			t.Errorf("no credentials: %d", status)
		}

		// Sam connects the app; the grant shows up, then is revoked.
		_, secret, err := env.Hub.Apps.RotateSecret(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		conf := &oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: "http://127.0.0.1:9/cb",
			Scopes: []string{"crm.objects.contacts.read"}, Endpoint: oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/v1/token"}}
		back := env.Browser().Consent(t, conf.AuthCodeURL("state-123456"), "sam@example.com")
		ctx := t.Context()
		tok, err := conf.Exchange(contextWithClient(ctx, env), back.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		status, impact := adminDo(t, env, "ops@example.com", http.MethodGet, "/api/v1/users/sam@example.com/impact", nil)
		grants, _ := impact["grants"].([]any)
		if status != http.StatusOK || len(grants) != 1 {
			t.Fatalf("impact: %d %v", status, impact)
		}
		grant := grants[0].(map[string]any)
		if grant["app"] != "Billing 2" || grant["user"] != "sam@example.com" || grant["active"] != true {
			t.Errorf("grant as listed: %v", grant)
		}
		if status, _ := adminDo(t, env, "ops@example.com", http.MethodDelete, "/api/v1/grants/"+url.PathEscape(grant["id"].(string)), nil); status != http.StatusNoContent {
			t.Fatalf("revoke grant: %d", status)
		}
		if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", tok.AccessToken, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("API call after the grant was revoked: %d", r.Status)
		}
		status, list = adminDo(t, env, "ops@example.com", http.MethodGet, "/api/v1/grants?user=sam@example.com", nil)
		if results := list["results"].([]any); status != http.StatusOK || len(results) != 1 || results[0].(map[string]any)["active"] != false {
			t.Errorf("grants after revoke: %d %v", status, list)
		}
		if status, _ := adminDo(t, env, "ops@example.com", http.MethodDelete, "/api/v1/apps/"+id, nil); status != http.StatusNoContent {
			t.Errorf("delete app: %d", status)
		}
	})
}

func TestAdminSessionWritesNeedTheCSRFHeader(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "ops@example.com", "admin", nil)
	b := env.Browser()
	b.SignIn(t, "ops@example.com")
	body := `{"name":"x","redirect_uris":["http://127.0.0.1:9/cb"],"scopes":["crm.objects.contacts.read"]}`
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/apps", strings.NewReader(body))
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("session write without X-CSRF-Token: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, env.URL+"/api/v1/apps", nil)
	if resp, err = b.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("session read: %d", resp.StatusCode)
	}
	if apps, _ := env.Hub.Apps.List(t.Context()); len(apps) != 0 {
		t.Errorf("the refused write made %d apps", len(apps))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAdminAppRefreshTokenPolicy sets an app's refresh-token policy through
// the admin API: it shows in the answer, a PATCH that does not name it
// keeps it, and a bad lifetime or a public app without rotation is a 400
// naming the setting.
func TestAdminAppRefreshTokenPolicy(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "ops@example.com", "admin", nil)
	base := map[string]any{"name": "Sync", "redirect_uris": []string{"http://127.0.0.1:9/cb"}, "scopes": []string{"crm.objects.contacts.read"}}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	status, app := adminDo(t, env, "ops@example.com", http.MethodPost, "/api/v1/apps", base)
	if status != http.StatusCreated || app["refresh_token_rotation"] != false || app["refresh_token_idle_ttl"] != nil {
		t.Fatalf("a confidential app by default: %d %v", status, app)
	}
	id := app["client_id"].(string)
	status, app = adminDo(t, env, "ops@example.com", http.MethodPatch, "/api/v1/apps/"+id, map[string]any{
		"refresh_token_rotation": true, "refresh_token_idle_ttl": "720h", "refresh_token_absolute_ttl": "2160h"})
	if status != http.StatusOK || app["refresh_token_rotation"] != true || app["refresh_token_idle_ttl"] != "720h" ||
		app["refresh_token_absolute_ttl"] != "2160h" {
		t.Fatalf("set the policy: %d %v", status, app)
	}
	status, app = adminDo(t, env, "ops@example.com", http.MethodPatch, "/api/v1/apps/"+id, map[string]any{
		"name": "Sync 2", "refresh_token_absolute_ttl": "0"})
	if status != http.StatusOK || app["refresh_token_rotation"] != true || app["refresh_token_idle_ttl"] != "720h" ||
		app["refresh_token_absolute_ttl"] != nil {
		t.Fatalf("a PATCH naming one setting changed the others: %d %v", status, app)
	}
	status, app = adminDo(t, env, "ops@example.com", http.MethodPost, "/api/v1/apps", with(map[string]any{"public": true}))
	if status != http.StatusCreated || app["refresh_token_rotation"] != true {
		t.Fatalf("a public app rotates: %d %v", status, app)
	}
	for name, c := range map[string]struct {
		body map[string]any
		word string
	}{
		"not a duration":          {with(map[string]any{"refresh_token_idle_ttl": "30 days"}), "refresh_token_idle_ttl"},
		"below a minute":          {with(map[string]any{"refresh_token_absolute_ttl": "10s"}), "refresh_token_absolute_ttl"},
		"public without rotation": {with(map[string]any{"public": true, "refresh_token_rotation": false}), "refresh_token_rotation"},
	} {
		status, body := adminDo(t, env, "ops@example.com", http.MethodPost, "/api/v1/apps", c.body)
		if msg, _ := body["message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, c.word) {
			t.Errorf("%s: %d %v, want a 400 naming %s", name, status, body, c.word)
		}
	}
}

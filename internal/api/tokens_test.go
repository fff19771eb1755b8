package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// TestAdminTokens: a user makes a personal token with a password sign-in
// and scripts then call the admin API with it as Bearer. The token acts as
// its user with the user's role and permissions at each call: it loses what
// they lose, stops when they are deactivated, removed or change their
// password, and stops at once when revoked. It is shown once, listed with
// its last use, and never stored, listed or audited.
func TestAdminTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		env, ctx := tb.env, context.Background()
		env.User(t, "ops@example.com", identity.RoleAdmin, nil)
		env.User(t, "sam@example.com", identity.RoleMember, nil)
		env.User(t, "kim@example.com", identity.RoleSuperAdmin, nil)
		make := func(email, name string) (string, string) {
			t.Helper()
			status, body := adminDo(t, env, email, http.MethodPost, "/api/v1/tokens", map[string]any{"name": name})
			token, _ := body["token"].(string)
			if status != http.StatusCreated || !strings.HasPrefix(token, "adm-hs1-") || body["user"] != email {
				t.Fatalf("create a token as %s: %d %v", email, status, body)
			}
			return token, strconv.FormatFloat(body["id"].(float64), 'f', 0, 64)
		}
		ops, opsID := make("ops@example.com", "nightly export")
		sam, _ := make("sam@example.com", "sam's script")

		if r := env.Do(t, http.MethodGet, "/api/v1/apps", ops, nil); r.Status != http.StatusOK {
			t.Fatalf("ops's token on an integrations route: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, http.MethodGet, "/api/v1/users/ops@example.com/impact", sam, nil); r.Status != http.StatusForbidden {
			t.Errorf("a member's token on an admins' route: %d %s", r.Status, r.Body)
		}
		r := env.Do(t, http.MethodGet, "/api/v1/tokens", ops, nil)
		list := r.JSON(t)["results"].([]any)
		if r.Status != http.StatusOK || len(list) != 1 || strings.Contains(string(r.Body), ops) {
			t.Fatalf("ops lists tokens: %d %s", r.Status, r.Body)
		}
		if mine := list[0].(map[string]any); mine["name"] != "nightly export" || mine["last_used_at"] == nil || mine["active"] != true {
			t.Errorf("ops's token as listed: %v", mine)
		}
		if r := env.Do(t, http.MethodPost, "/api/v1/tokens", ops, map[string]any{"name": "more"}); r.Status != http.StatusForbidden {
			t.Errorf("a token made a token: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, http.MethodGet, "/api/v1/apps", env.Token(t, hubtest.AllScopes...), nil); r.Status != http.StatusUnauthorized ||
			!strings.Contains(string(r.Body), "personal admin token") {
			t.Errorf("a private app token on the admin API: %d %s", r.Status, r.Body)
		}

		// The user's current role decides, at each call.
		manage := false
		if _, err := env.Hub.Identity.UpdateUser(ctx, "ops@example.com", identity.UserChanges{IntegrationsManage: &manage}); err != nil {
			t.Fatal(err)
		}
		if r := env.Do(t, http.MethodGet, "/api/v1/apps", ops, nil); r.Status != http.StatusForbidden {
			t.Errorf("after ops lost integrations.manage: %d %s", r.Status, r.Body)
		}
		for _, step := range []struct {
			name, word string
			change     func() error
		}{
			{"deactivated", "deactivated", func() error { _, err := env.Hub.Identity.Deactivate(ctx, "sam@example.com"); return err }},
			{"reactivated", "", func() error { _, err := env.Hub.Identity.Reactivate(ctx, "sam@example.com"); return err }},
			{"password changed", "password", func() error {
				pw := "a new password"
				_, err := env.Hub.Identity.UpdateUser(ctx, "sam@example.com", identity.UserChanges{Password: &pw})
				return err
			}},
		} {
			if err := step.change(); err != nil {
				t.Fatal(err)
			}
			r := env.Do(t, http.MethodGet, "/api/v1/tokens", sam, nil)
			switch {
			case step.word == "" && r.Status != http.StatusOK:
				t.Errorf("sam's token once %s: %d %s", step.name, r.Status, r.Body)
			case step.word != "" && (r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), step.word)):
				t.Errorf("sam's token once %s: %d %s, want 401 naming it", step.name, r.Status, r.Body)
			}
		}
		samUser, err := env.Hub.Identity.User(ctx, "sam@example.com")
		if err != nil {
			t.Fatal(err)
		}
		_, sam2, err := env.Hub.AdminTokens.Create(ctx, audit.CLI, samUser.ID, "after the password change")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Hub.Identity.Remove(ctx, "sam@example.com"); err != nil {
			t.Fatal(err)
		}
		if r := env.Do(t, http.MethodGet, "/api/v1/tokens", sam2, nil); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "removed") {
			t.Errorf("a removed user's token: %d %s", r.Status, r.Body)
		}

		// Only its user revokes a token through the API; then it stops.
		if status, body := adminDo(t, env, "kim@example.com", http.MethodDelete, "/api/v1/tokens/"+opsID, nil); status != http.StatusNotFound {
			t.Errorf("another user revoked ops's token: %d %v", status, body)
		}
		if r := env.Do(t, http.MethodDelete, "/api/v1/tokens/"+opsID, ops, nil); r.Status != http.StatusNoContent {
			t.Fatalf("ops revokes their token: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, http.MethodGet, "/api/v1/tokens", ops, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("a revoked token: %d %s", r.Status, r.Body)
		}

		events, err := env.Hub.Audit.List(ctx, store.AuditQuery{TargetType: "admin_token"})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range events {
			actions[e.Action]++
		}
		if actions["admin_token.create"] != 3 || actions["admin_token.revoke"] != 1 {
			t.Errorf("audited %v, want 3 creates and 1 revoke", actions)
		}
		for _, tok := range []string{ops, sam, sam2} {
			if strings.Contains(mustJSON(events), tok) {
				t.Errorf("the audit log holds a token")
			}
			var n int
			query := "SELECT count(*) FROM admin_tokens WHERE token_hash = ? OR name = ?"
			if env.Config.UsesPostgres() {
				query = "SELECT count(*) FROM admin_tokens WHERE token_hash = $1 OR name = $2"
			}
			if err := env.DB(t).QueryRow(query, []byte(tok), tok).Scan(&n); err != nil || n != 0 {
				t.Errorf("a token is stored as it is (%d rows, %v)", n, err)
			}
		}
	})
}

package cli_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// TestAdminTokensFromTheCommandLine: the command line makes a user's admin
// token, which a running hub takes on the admin API at once; the list shows
// its last use and never the token; revoking it refuses it at once.
func TestAdminTokensFromTheCommandLine(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			args := hubArgs(t, backend)
			mustRun(t, append(args, "init", "--admin-email", "boss@example.com", "--admin-password", "long enough")...)
			url, _ := serve(t, args...)
			token := printedToken(t, "adm-hs1-", args, "tokens", "create", "--name", "nightly export", "--user", "boss@example.com")
			if code := get(t, url+"/api/v1/grants", token); code != http.StatusOK {
				t.Fatalf("admin API with the new token: %d", code)
			}
			list := mustRun(t, append(args, "--output", "json", "tokens", "list", "--user", "boss@example.com")...)
			var tokens []struct {
				ID         int64
				Name, User string
				LastUsedAt *string `json:"last_used_at"`
				Active     bool
			}
			if err := json.Unmarshal([]byte(list), &tokens); err != nil || strings.Contains(list, token) {
				t.Fatalf("tokens list: %v\n%s", err, list)
			}
			if len(tokens) != 1 || tokens[0].Name != "nightly export" || tokens[0].User != "boss@example.com" || tokens[0].LastUsedAt == nil || !tokens[0].Active {
				t.Errorf("tokens list: %+v", tokens)
			}
			if table := mustRun(t, append(args, "tokens", "list")...); !strings.Contains(table, "nightly export") || !strings.Contains(table, "LAST USED") {
				t.Errorf("tokens list as a table: %s", table)
			}
			mustRun(t, append(args, "tokens", "revoke", "1")...)
			if code := get(t, url+"/api/v1/grants", token); code != http.StatusUnauthorized {
				t.Errorf("revoked token: %d, want 401", code)
			}
			for _, bad := range [][]string{
				{"tokens", "create", "--name", "x", "--user", "nobody@example.com"},
				{"tokens", "create", "--name", " ", "--user", "boss@example.com"},
				{"tokens", "revoke", "1"},
				{"tokens", "revoke", "abc"},
			} {
				if code, _, errOut := run(t, "", append(args, bad...)...); code == 0 || errOut == "" {
					t.Errorf("hubsync %s succeeded", strings.Join(bad, " "))
				}
			}
		})
	}
}

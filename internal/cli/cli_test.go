package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/cli"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
)

// run executes the command line and returns its exit code and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := cli.Execute(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, "", args...)
	if code != 0 {
		t.Fatalf("hubsync %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// serve starts "hubsync serve" on a free port and returns its base URL and
// everything it printed; it stops when the test ends.
func serve(t *testing.T, args ...string) (string, *hubtest.SyncBuffer) {
	t.Helper()
	return serveWith(t, args)
}

// serveWith is serve with flags of serve itself.
func serveWith(t *testing.T, args []string, serveFlags ...string) (string, *hubtest.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &hubtest.SyncBuffer{}
	done := make(chan int, 1)
	args = append(append(append([]string{}, args...), "serve", "--listen", "127.0.0.1:0"), serveFlags...)
	go func() {
		done <- cli.Execute(ctx, args, strings.NewReader(""), out, &hubtest.SyncBuffer{})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d", code)
		}
	})
	addr := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
	}
	t.Fatalf("serve did not start: %s", out.String())
	return "", nil
}

// hubArgs are the flags that point the command line at a fresh hub on backend.
func hubArgs(t *testing.T, backend hubtest.Backend) []string {
	args := []string{"--data-dir", t.TempDir()}
	if backend == hubtest.Postgres {
		args = append(args, "--database-url", pgtest.URL(t))
	}
	return args
}

// printedToken runs a command that makes a token and returns the token,
// failing the test unless the command printed it alone.
func printedToken(t *testing.T, prefix string, args []string, command ...string) string {
	t.Helper()
	out := mustRun(t, append(args, command...)...)
	token := strings.TrimSpace(out)
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(token, prefix) {
		t.Fatalf("%s printed %q, want the token alone", strings.Join(command[:2], " "), out)
	}
	return token
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestInitTwiceIsAClearError(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "--data-dir", dir, "init", "--admin-email", "boss@example.com", "--admin-password", "long enough")
	if !regexp.MustCompile(`^hub \d{8} created; super admin boss@example.com`).MatchString(out) {
		t.Errorf("init printed %q", out)
	}
	code, _, errOut := run(t, "", "--data-dir", dir, "init", "--admin-email", "other@example.com", "--admin-password", "long enough")
	if code == 0 || !strings.Contains(errOut, "already initialised") {
		t.Errorf("second init: exit %d, %q", code, errOut)
	}
	var users []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "--data-dir", dir, "users", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 {
		t.Errorf("after two inits there are %d users", len(users))
	}
}

func TestServeInitialisesAnEmptyDataDirOnce(t *testing.T) {
	dir := t.TempDir()
	_, out := serve(t, "--data-dir", dir)
	if !regexp.MustCompile(`Super admin: admin@hubsync\.local  password: \S{20,}`).MatchString(out.String()) {
		t.Errorf("first serve printed no generated password: %q", out.String())
	}
	code, _, errOut := run(t, "", "--data-dir", dir, "init", "--admin-email", "x@example.com", "--admin-password", "long enough")
	if code == 0 {
		t.Errorf("init after serve initialised the hub succeeded: %s", errOut)
	}
}

// TestAdminVerbsWhileServing checks that tokens made and deleted by the
// command line take effect on a running server at once.
func TestAdminVerbsWhileServing(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			args := hubArgs(t, backend)
			url, _ := serve(t, args...)
			token := printedToken(t, "pat-hs1-", args, "private-apps", "create", "--name", "script", "--scopes", "crm.objects.contacts.read")
			if code := get(t, url+"/crm/v3/objects/contacts", token); code != http.StatusOK {
				t.Fatalf("new token: %d", code)
			}
			if code := get(t, url+"/crm/v3/objects/deals", token); code != http.StatusForbidden {
				t.Errorf("token without deals scope: %d", code)
			}
			newToken := strings.TrimSpace(mustRun(t, append(args, "private-apps", "rotate", "1")...))
			if code := get(t, url+"/crm/v3/objects/contacts", token); code != http.StatusUnauthorized {
				t.Errorf("old token after rotate without grace: %d", code)
			}
			if code := get(t, url+"/crm/v3/objects/contacts", newToken); code != http.StatusOK {
				t.Errorf("rotated token: %d", code)
			}
			list := mustRun(t, append(args, "private-apps", "list")...)
			if strings.Contains(list, newToken) || !strings.Contains(list, "script") {
				t.Errorf("list printed %q", list)
			}
			mustRun(t, append(args, "private-apps", "delete", "1")...)
			if code := get(t, url+"/crm/v3/objects/contacts", newToken); code != http.StatusUnauthorized {
				t.Errorf("deleted app's token: %d", code)
			}
		})
	}
}

func TestUsersLifecycleFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HUBSYNC_DATA_DIR", dir)
	mustRun(t, "init", "--admin-email", "boss@example.com", "--admin-password", "long enough")
	var u struct {
		ID                 int64
		Role, Status       string
		Permissions        map[string]string
		IntegrationsManage bool
	}
	decode := func(out string) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), &u); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	decode(mustRun(t, "users", "create", "--email", "sam@example.com", "--perm", "deals=edit,contacts=none", "--integrations-manage"))
	if u.Role != "member" || u.Permissions["deals"] != "edit" || u.Permissions["contacts"] != "none" || u.Permissions["companies"] != "view" || !u.IntegrationsManage {
		t.Errorf("created %+v", u)
	}
	decode(mustRun(t, "users", "update", "sam@example.com", "--perm", "deals=view", "--integrations-manage=false", "--role", "admin"))
	if u.Role != "admin" || u.Permissions["deals"] != "view" || u.IntegrationsManage {
		t.Errorf("updated %+v", u)
	}
	code, _, errOut := run(t, "new password\n", "users", "update", "sam@example.com", "--password-stdin")
	if code != 0 {
		t.Fatal(errOut)
	}
	decode(mustRun(t, "users", "deactivate", "sam@example.com"))
	if u.Status != "deactivated" {
		t.Errorf("deactivate: %+v", u)
	}
	decode(mustRun(t, "users", "remove", "2"))
	if u.Status != "removed" {
		t.Errorf("remove: %+v", u)
	}
	for _, bad := range [][]string{
		{"users", "create", "--email", "x@example.com", "--perm", "deals"},
		{"users", "create", "--email", "x@example.com", "--role", "king"},
		{"users", "remove", "boss@example.com"},
		{"private-apps", "create", "--name", "x", "--scopes", "crm.objects.tickets.read"},
		{"private-apps", "delete", "abc"},
	} {
		if code, _, errOut := run(t, "", bad...); code == 0 || errOut == "" {
			t.Errorf("hubsync %s succeeded", strings.Join(bad, " "))
		}
	}
	list := mustRun(t, "users", "list")
	if !strings.Contains(list, "sam@example.com") || !strings.Contains(list, "removed") || strings.Contains(list, "argon2") {
		t.Errorf("users list: %s", list)
	}
}

// TestAppsRefreshTokenPolicyFromTheCommandLine sets an app's refresh-token
// policy with apps create and update; update keeps what it is not told.
func TestAppsRefreshTokenPolicyFromTheCommandLine(t *testing.T) {
	t.Setenv("HUBSYNC_DATA_DIR", t.TempDir())
	mustRun(t, "init", "--admin-email", "boss@example.com", "--admin-password", "long enough")
	var app struct {
		ClientID    string `json:"client_id"`
		Rotation    bool   `json:"refresh_token_rotation"`
		IdleTTL     string `json:"refresh_token_idle_ttl"`
		AbsoluteTTL string `json:"refresh_token_absolute_ttl"`
	}
	decode := func(out string) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), &app); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	decode(mustRun(t, "apps", "create", "--name", "Sync", "--redirect-uri", "http://127.0.0.1:9/cb",
		"--scopes", "crm.objects.contacts.read", "--refresh-token-idle-ttl", "720h", "--output", "json"))
	if app.Rotation || app.IdleTTL != "720h" || app.AbsoluteTTL != "" {
		t.Errorf("created %+v", app)
	}
	decode(mustRun(t, "apps", "update", app.ClientID, "--refresh-token-rotation", "--refresh-token-absolute-ttl", "2160h", "--output", "json"))
	if !app.Rotation || app.IdleTTL != "720h" || app.AbsoluteTTL != "2160h" {
		t.Errorf("updated %+v", app)
	}
	decode(mustRun(t, "apps", "update", app.ClientID, "--name", "Sync 2", "--output", "json"))
	if !app.Rotation || app.IdleTTL != "720h" {
		t.Errorf("an update of the name changed the policy: %+v", app)
	}
	for _, bad := range [][]string{
		{"apps", "update", app.ClientID, "--refresh-token-idle-ttl", "10s"},
		{"apps", "create", "--name", "P", "--redirect-uri", "http://127.0.0.1:9/cb", "--scopes", "crm.objects.contacts.read",
			"--public", "--refresh-token-rotation=false"},
	} {
		if code, _, errOut := run(t, "", bad...); code == 0 || !strings.Contains(errOut, "refresh_token") {
			t.Errorf("hubsync %s: exit %d, %q", strings.Join(bad, " "), code, errOut)
		}
	}
}

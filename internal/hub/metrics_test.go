package hub_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/syncer"
)

// families are every family /metrics must show once the hub has served
// calls, run a sync through its queue and refreshed a token.
var families = []string{
	"hubsync_http_request_duration_seconds_bucket{route=\"GET /crm/v3/objects/{type}\",status=\"2xx\"",
	"hubsync_token_check_duration_seconds_bucket{kind=\"private_app\",outcome=\"ok\"",
	"hubsync_token_check_duration_seconds_count{kind=\"unknown\",outcome=\"refused\"}",
	"hubsync_sync_runs_total{connection=",
	"hubsync_sync_records_total{connection=",
	"direction=\"to_app\",object=\"contacts\",result=\"created\"} 2",
	"hubsync_sync_run_duration_seconds_bucket{connection=",
	"hubsync_job_latency_seconds_bucket{kind=\"sync_run\"",
	"hubsync_external_token_refreshes_total{outcome=\"ok\",provider=\"hubspot\"} 1",
	"hubsync_connections{status=\"active\"} 1",
	"hubsync_connections{status=\"needs_reconnect\"} 0",
	"hubsync_jobs{state=\"available\"}",
	"go_goroutines",
	"process_cpu_seconds_total",
}

// TestMetricsAfterSyncAndRefresh runs hub B's sync with hub A through B's
// job queue, refreshes B's token for A, and reads B's /metrics: every
// family is there, and none of the secrets the test used is.
func TestMetricsAfterSyncAndRefresh(t *testing.T) {
	ctx := context.Background()
	a := hubtest.New(t, hubtest.SQLite, func(c *config.Config) { c.TokenRate = -1 })
	b := hubtest.New(t, hubtest.SQLite)
	a.User(t, "approver@a.example", identity.RoleAdmin, nil)
	secrets := []string{"correct horse", hubtest.Password("approver@a.example")}
	conn := connectToA(t, a, b, &secrets)

	for _, email := range []string{"one@example.com", "two@example.com"} {
		if _, err := b.Hub.CRM.Create(ctx, "test", "contacts", map[string]string{"email": email}); err != nil {
			t.Fatal(err)
		}
	}
	background, stop := context.WithCancel(ctx)
	done := b.Hub.Background(background)
	t.Cleanup(func() { stop(); <-done })
	if err := b.Hub.Enqueue(ctx, conn, "manual"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "hubsync_job_latency_seconds_count{kind=\"sync_run\"}", "result=\"created\"} 2")

	sess, err := b.Hub.Connections.Open(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, sess.Credential.AccessToken, sess.Credential.RefreshToken)
	if err := b.Hub.Connections.Renew(ctx, &sess); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	secrets = append(secrets, sess.Credential.AccessToken, sess.Credential.RefreshToken)

	token := b.Token(t, "crm.objects.contacts.read")
	secrets = append(secrets, token)
	if r := b.Do(t, http.MethodGet, "/crm/v3/objects/contacts", token, nil); r.Status != http.StatusOK {
		t.Fatalf("list contacts: %d %s", r.Status, r.Body)
	}
	if r := b.Do(t, http.MethodGet, "/crm/v3/objects/contacts", "made-up-token", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("list contacts with a made-up token: %d", r.Status)
	}
	secrets = append(secrets, "made-up-token")

	page := scrape(t, b.URL+hub.MetricsPath, "")
	for _, f := range families {
		if !strings.Contains(page, f) {
			t.Errorf("/metrics lacks %s", f)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(page, s) {
			t.Errorf("/metrics shows a secret: %.12s…", s)
		}
	}
	if strings.Contains(page, "/crm/v3/objects/contacts\"") {
		t.Error("/metrics labels a raw path; routes must be patterns")
	}
	if t.Failed() {
		t.Log(page)
	}
}

// connectToA connects hub B to hub A as an app and adds a contacts sync to
// A, noting the secrets it handles; it returns the connection's id.
func connectToA(t *testing.T, a, b *hubtest.Env, secrets *[]string) int64 {
	t.Helper()
	ctx := context.Background()
	admin, err := b.Hub.Identity.User(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	actor := audit.Actor{ID: admin.ID, Label: admin.Email}
	app, secret := a.App(t, oauth.AppInput{Name: "Hub B", RedirectURIs: []string{b.URL + hub.CallbackPath}, Scopes: hubtest.AllScopes})
	*secrets = append(*secrets, secret)
	integration, err := b.Hub.Connections.CreateIntegration(ctx, actor, connection.NewIntegration{
		Name: "hub-a", Provider: "hubspot", AuthKind: connection.AuthOAuth2, Secret: secret,
		Settings: connection.ProviderSettings("hubspot", a.URL, map[string]string{
			"client_id": app.ClientID, "scopes": strings.Join(hubtest.AllScopes, " ")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	started, err := b.Hub.Connections.Create(ctx, actor, connection.NewConnection{AuthMode: connection.ModeApp,
		Integration: integration.Name, Name: "B to A", Config: map[string]string{"archive_interval": "0s", "read_overlap": "0s"}})
	if err != nil {
		t.Fatal(err)
	}
	browser := a.Browser()
	back := browser.Consent(t, started.AuthorizeURL, "approver@a.example")
	if status, _, page := browser.Page(t, "GET", back.String(), nil); status != http.StatusOK {
		t.Fatalf("callback: %d %s", status, page)
	}
	conns, err := b.Hub.Connections.List(ctx)
	if err != nil || len(conns) != 1 {
		t.Fatalf("connections: %v %v", conns, err)
	}
	if _, err := b.Hub.Syncer.AddObjectSync(ctx, actor, conns[0].ID, syncer.ObjectSyncInput{HubObject: "contacts"}); err != nil {
		t.Fatalf("add object sync: %v", err)
	}
	return conns[0].ID
}

// waitFor scrapes env's /metrics until it shows every one of want.
func waitFor(t *testing.T, env *hubtest.Env, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		page := scrape(t, env.URL+hub.MetricsPath, "")
		missing := ""
		for _, w := range want {
			if !strings.Contains(page, w) {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics still lacks %s:\n%s", missing, page)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scrape reads a metrics page, with a bearer token if one is given.
func scrape(t *testing.T, url, token string) string {
	t.Helper()
	status, body := get(t, url, token)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	return body
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestMetricsToken: with a metrics token, /metrics on the main listener
// answers only the caller that presents it.
func TestMetricsToken(t *testing.T) {
	const token = "scrape-secret-1234"
	env := hubtest.Open(t, hubtest.Config(t, hubtest.SQLite), hub.WithMetricsToken(token))
	for _, given := range []string{"", "wrong", token + "x"} {
		if status, body := get(t, env.URL+hub.MetricsPath, given); status != http.StatusUnauthorized {
			t.Errorf("/metrics with token %q: %d, want 401", given, status)
		} else if strings.Contains(body, token) {
			t.Errorf("the refusal shows the token")
		}
	}
	if page := scrape(t, env.URL+hub.MetricsPath, token); !strings.Contains(page, "go_goroutines") {
		t.Errorf("/metrics with the token lacks the Go collector:\n%s", page)
	}
}

// TestProfilesOnlyOnTheDebugListener: the main listener has no pprof; the
// debug handler has pprof and the metrics.
func TestProfilesOnlyOnTheDebugListener(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		if status, _ := get(t, env.URL+path, ""); status != http.StatusNotFound {
			t.Errorf("main listener %s: %d, want 404", path, status)
		}
	}
	debug := httptest.NewServer(env.Hub.DebugHandler())
	t.Cleanup(debug.Close)
	if status, body := get(t, debug.URL+"/debug/pprof/goroutine?debug=1", ""); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("debug listener goroutine profile: %d %.200s", status, body)
	}
	if page := scrape(t, debug.URL+hub.MetricsPath, ""); !strings.Contains(page, "hubsync_jobs") {
		t.Errorf("debug listener /metrics lacks hubsync_jobs:\n%s", page)
	}
}

package connection_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// newClock is a settable time shared by a test's replicas of hub B.
func newClock() *hubtest.Clock { return hubtest.NewClock(time.Now().UTC()) }

// front stands before hub A: it counts refresh grants reaching A's token
// endpoint and can make that endpoint answer 503, as an outage would, and
// so can it A's refresh token deletion (revokesDown).
type front struct {
	*httptest.Server
	refreshes   atomic.Int64
	down        atomic.Bool
	revokesDown atomic.Bool
}

func newFront(t testing.TB, a http.Handler) *front {
	f := &front{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/oauth/v1/refresh-tokens/") && f.revokesDown.Load() {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/oauth/v1/token" {
			if f.down.Load() {
				http.Error(w, "service unavailable", http.StatusServiceUnavailable)
				return
			}
			body, _ := io.ReadAll(r.Body)
			if form, _ := url.ParseQuery(string(body)); form.Get("grant_type") == "refresh_token" {
				f.refreshes.Add(1)
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		a.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// testBundle is hub A (the external app, behind front) and hub B, whose
// connection uses the hubspot provider against A's OAuth server.
type testBundle struct {
	a     *hubtest.Env
	front *front
	b     *hubtest.Env
	clock *hubtest.Clock
	// integration is B's registration of A.
	integration store.Integration
	// approver is the A user who approves B's grants.
	approver string
	// connector and other are B users who may edit every object; viewer may
	// not manage integrations.
	connector, other, viewer store.User
	admin                    audit.Actor
}

var editAll = map[string]string{"contacts": "edit", "companies": "edit", "deals": "edit"}

// fastTuning keeps retries within a test's fake minute.
var fastTuning = connection.Tuning{RefreshAhead: time.Minute, RefreshLease: 30 * time.Second,
	CheckEvery: 5 * time.Minute, UnreachableAfter: 3, MaxBackoff: 10 * time.Second, AttemptTTL: 15 * time.Minute}

func setup(t testing.TB, backend hubtest.Backend) *testBundle {
	t.Helper()
	return setupWith(t, backend)
}

// setupWith is setup with options for hub A, made from the bundle.
func setupWith(t testing.TB, backend hubtest.Backend, aOptions ...func(*testBundle) hub.Option) *testBundle {
	t.Helper()
	tb := &testBundle{clock: newClock(), approver: "approver@a.example"}
	// A's per-client token rate limit is off so benchmarks can refresh in a loop.
	cfg := hubtest.Config(t, hubtest.SQLite)
	cfg.TokenRate = -1
	var opts []hub.Option
	for _, o := range aOptions {
		opts = append(opts, o(tb))
	}
	tb.a = hubtest.Open(t, cfg, opts...)
	tb.front = newFront(t, tb.a.Server.Config.Handler)
	tb.a.User(t, tb.approver, identity.RoleAdmin, nil)
	tb.b = tb.replica(t, hubtest.Config(t, backend))
	tb.connector = tb.b.User(t, "connector@b.example", identity.RoleMember, editAll)
	tb.other = tb.b.User(t, "other@b.example", identity.RoleAdmin, nil)
	tb.viewer = tb.b.User(t, "viewer@b.example", identity.RoleMember, editAll)
	admin, err := tb.b.Hub.Identity.User(context.Background(), "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	tb.admin = audit.Actor{ID: admin.ID, Label: admin.Email}
	app, secret := tb.a.App(t, oauth.AppInput{Name: "Hub B", RedirectURIs: []string{tb.b.URL + hub.CallbackPath},
		Scopes: hubtest.AllScopes})
	tb.integration, err = tb.b.Hub.Connections.CreateIntegration(context.Background(), tb.admin, connection.NewIntegration{
		Name: "hub-a", Provider: "hubspot", AuthKind: connection.AuthOAuth2, Secret: secret,
		Settings: connection.ProviderSettings("hubspot", tb.front.URL, map[string]string{
			"client_id": app.ClientID, "scopes": strings.Join(hubtest.AllScopes, " ")}),
	})
	if err != nil {
		t.Fatalf("create integration: %v", err)
	}
	return tb
}

// onEachBackend runs test in parallel on hub B over every backend.
func onEachBackend(t *testing.T, test func(*testing.T, *testBundle)) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			test(t, setup(t, backend))
		})
	}
}

// replica opens hub B (again, for a second replica) on cfg with the
// bundle's clock.
func (tb *testBundle) replica(t testing.TB, cfg config.Config) *hubtest.Env {
	return hubtest.Open(t, cfg, hub.WithConnections(connection.WithClock(tb.clock.Now), connection.WithTuning(fastTuning)),
		hub.WithWebhooks(audit.WithClock(tb.clock.Now)))
}

// connect makes a connection from B to A, approved on A's consent page by
// approver, and returns it.
func (tb *testBundle) connect(t testing.TB, n connection.NewConnection) store.Connection {
	t.Helper()
	n.Integration = tb.integration.Name
	if n.Name == "" {
		n.Name = "B to A"
	}
	started, err := tb.b.Hub.Connections.Create(context.Background(), tb.admin, n)
	if err != nil {
		t.Fatalf("create connection: %v", err)
	}
	return tb.approve(t, started.AuthorizeURL)
}

// approve runs an authorize URL through A's consent page and B's callback.
func (tb *testBundle) approve(t testing.TB, authorizeURL string) store.Connection {
	t.Helper()
	if !strings.HasPrefix(authorizeURL, tb.front.URL+"/oauth/authorize?") {
		t.Fatalf("authorize URL %q does not lead to A", authorizeURL)
	}
	browser := tb.a.Browser()
	back := browser.Consent(t, authorizeURL, tb.approver)
	if got := back.Scheme + "://" + back.Host + back.Path; got != tb.b.URL+hub.CallbackPath {
		t.Fatalf("A sent the browser to %s, want B's callback", got)
	}
	status, _, page := browser.Page(t, http.MethodGet, back.String(), nil)
	if status != http.StatusOK || !strings.Contains(page, "Connected") {
		t.Fatalf("callback: %d\n%s", status, page)
	}
	conns, err := tb.b.Hub.Connections.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	newest := conns[len(conns)-1]
	for _, c := range conns {
		if c.UpdatedAt.After(newest.UpdatedAt) {
			newest = c
		}
	}
	return newest
}

func (tb *testBundle) get(t testing.TB, id int64) store.Connection {
	t.Helper()
	c, err := tb.b.Hub.Connections.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantStatus fails unless connection id has the status and reason.
func (tb *testBundle) wantStatus(t testing.TB, id int64, status, reason string) store.Connection {
	t.Helper()
	c := tb.get(t, id)
	if c.Status != status || c.Reason != reason {
		t.Fatalf("connection %d is %s/%s (%s), want %s/%s", id, c.Status, c.Reason, c.ReasonMessage, status, reason)
	}
	if reason != "" && (c.ReasonMessage == "" || c.NextStep == "" || c.ReasonSince.IsZero()) {
		t.Fatalf("reason %s lacks its sentence, next step or first-seen time: %+v", reason, c)
	}
	return c
}

// step returns the named step of a diagnosis.
func step(t testing.TB, d connection.Diagnosis, name string) connection.Step {
	t.Helper()
	for _, s := range d.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("diagnosis has no step %s: %+v", name, d.Steps)
	return connection.Step{}
}

func (tb *testBundle) diagnose(t testing.TB, id int64) connection.Diagnosis {
	t.Helper()
	d, err := tb.b.Hub.Connections.Diagnose(context.Background(), id)
	if err != nil {
		t.Fatalf("diagnose: %v", err)
	}
	return d
}

func storeQuery(targetType string) store.AuditQuery {
	return store.AuditQuery{TargetType: targetType, Limit: 1000}
}

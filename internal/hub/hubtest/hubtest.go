// Package hubtest starts real hubs for tests: a store on SQLite or on the
// local PostgreSQL, the full HTTP handler on a loopback port, and helpers to
// make tokens and calls.
package hubtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/store/sqlite"
)

// Backend picks the store a test hub runs on.
type Backend string

const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends are every backend, for tests that run on each.
var Backends = []Backend{SQLite, Postgres}

// CheapArgon2 keeps password hashing fast in tests.
var CheapArgon2 = identity.Argon2Params{Time: 1, MemoryKiB: 1024, Threads: 1}

// Env is a running test hub.
type Env struct {
	Hub    *hub.Hub
	Config config.Config
	Server *httptest.Server
	URL    string
	// Logs holds everything the server logged.
	Logs *SyncBuffer
}

// Config returns a configuration for a fresh hub on backend.
func Config(t testing.TB, backend Backend) config.Config {
	cfg := config.Config{DataDir: t.TempDir()}
	if backend == Postgres {
		cfg.DatabaseURL = pgtest.URL(t)
	}
	return cfg
}

// New opens and initialises a hub on backend and serves it on loopback.
// Everything stops when the test ends. Options change the configuration.
func New(t testing.TB, backend Backend, options ...func(*config.Config)) *Env {
	t.Helper()
	cfg := Config(t, backend)
	for _, o := range options {
		o(&cfg)
	}
	return Open(t, cfg)
}

// Open serves the hub cfg describes on loopback, initialising it unless it
// already is, so a second Open of the same configuration is a second replica
// of the same hub. The hub's public URL is its loopback address unless cfg
// names one.
func Open(t testing.TB, cfg config.Config, hubOpts ...hub.Option) *Env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	}
	ctx := context.Background()
	h, err := hub.Open(ctx, cfg, append([]hub.Option{hub.WithIdentity(identity.WithArgon2(CheapArgon2))}, hubOpts...)...)
	if err != nil {
		t.Fatalf("open hub: %v", err)
	}
	_, _, err = h.Identity.Init(ctx, identity.InitParams{AdminEmail: "admin@example.com", AdminPassword: "correct horse"})
	if err != nil && !errors.Is(err, identity.ErrAlreadyInitialized) {
		t.Fatalf("init hub: %v", err)
	}
	logs := &SyncBuffer{}
	srv.Config.Handler = h.Handler(slog.New(slog.NewJSONHandler(logs, nil)))
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	return &Env{Hub: h, Config: cfg, Server: srv, URL: srv.URL, Logs: logs}
}

// Token creates a private app with scopes and returns its token.
func (e *Env) Token(t testing.TB, scopes ...string) string {
	t.Helper()
	_, token, err := e.Hub.PrivateApps.Create(context.Background(), "test app", scopes, 0)
	if err != nil {
		t.Fatalf("create private app: %v", err)
	}
	return token
}

// AllScopes are every CRM scope.
var AllScopes = oauth.Scopes

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map, failing the test if it is not JSON.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// Do sends a request with a bearer token. body may be nil, a string or []byte
// (sent as is) or any value (sent as JSON).
func (e *Env) Do(t testing.TB, method, path, token string, body any) Response {
	t.Helper()
	auth := ""
	if token != "" {
		auth = "Bearer " + token
	}
	return e.send(t, method, path, auth, body)
}

// AdminDo is Do as a user signed in with HTTP Basic, with the password
// Password gives (the first admin's is "correct horse"), as admin API
// scripts call.
func (e *Env) AdminDo(t testing.TB, email, method, path string, body any) Response {
	t.Helper()
	password := Password(email)
	if email == "admin@example.com" {
		password = "correct horse"
	}
	return e.send(t, method, path, "Basic "+base64.StdEncoding.EncodeToString([]byte(email+":"+password)), body)
}

func (e *Env) send(t testing.TB, method, path, auth string, body any) Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// OpenStore opens a bare store on backend, closed when the test ends.
func OpenStore(t testing.TB, backend Backend) store.Store {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if backend == Postgres {
		st, err = postgres.Open(ctx, pgtest.URL(t))
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	}
	if err != nil {
		t.Fatalf("open %s store: %v", backend, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

package audit_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// testBundle is what a webhook test works with.
type testBundle struct {
	st     store.Store
	clock  *hubtest.Clock
	sealer *vault.Vault
	recv   *receiver
	hooks  *audit.Webhooks
	hook   store.Webhook // subscribed to every event, pointing at recv
}

// setup starts a receiver and a Webhooks on backend with a fake clock, and
// subscribes the receiver to every event.
func setup(t *testing.T, backend hubtest.Backend, opts ...audit.Option) *testBundle {
	t.Helper()
	b := &testBundle{
		st:     hubtest.OpenStore(t, backend),
		clock:  hubtest.NewClockAt(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
		sealer: openVault(t),
	}
	b.recv = newReceiver(t, b.clock)
	opts = append([]audit.Option{
		audit.WithClock(b.clock.Now),
		audit.WithLogger(slog.New(slog.DiscardHandler)),
	}, opts...)
	b.hooks = audit.NewWebhooks(b.st, b.sealer, opts...)
	hook, secret, err := b.hooks.Create(context.Background(), audit.CLI, b.recv.srv.URL+"/hook", nil)
	if err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	b.hook = hook
	b.recv.setSecret(secret)
	return b
}

// enqueue records an event for connection conn as its status change would.
func (b *testBundle) enqueue(t *testing.T, conn int64, kind string) {
	t.Helper()
	status := "active"
	if kind == audit.EventBroken {
		status = "needs_reconnect"
	}
	err := b.st.Update(context.Background(), func(tx store.Tx) error {
		return b.hooks.Enqueue(context.Background(), tx, audit.Event{
			Kind: kind, ConnectionID: conn, ConnectionName: "HubSpot EU", Status: status,
			Reason: "external_token_expired", Message: "The refresh token was rejected.", NextStep: "reconnect",
			At: b.clock.Now(),
		})
	})
	if err != nil {
		t.Fatalf("enqueue %s: %v", kind, err)
	}
}

// deliver runs one pass and returns how many it sent.
func (b *testBundle) deliver(t *testing.T) int {
	t.Helper()
	n, err := b.hooks.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return n
}

// deliveries lists the hook's deliveries, oldest first.
func (b *testBundle) deliveries(t *testing.T) []store.Delivery {
	t.Helper()
	ds, err := b.hooks.Deliveries(context.Background(), b.hook.ID, 100)
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	return ds
}

// openVault is the real vault on a keyset of the test's own: it runs here,
// so the tests need no stand-in for it.
func openVault(t *testing.T) *vault.Vault {
	t.Helper()
	v, err := vault.Open(filepath.Join(t.TempDir(), "vault.keyset"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// received is one request the receiver accepted.
type received struct {
	Event, Delivery string
	Body            map[string]any
}

// receiver is a webhook endpoint that checks every signature with Verify,
// answers with the status respond gives and remembers what it got.
type receiver struct {
	t     *testing.T
	clock *hubtest.Clock
	srv   *httptest.Server

	mu      sync.Mutex
	secret  string
	calls   int
	got     []received
	respond func(call int) int // status for the call-th request, from 1
	delay   time.Duration
}

func newReceiver(t *testing.T, clock *hubtest.Clock) *receiver {
	r := &receiver{t: t, clock: clock, respond: func(int) int { return http.StatusNoContent }}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secret, delay := r.secret, r.delay
	r.calls++
	status := r.respond(r.calls)
	r.mu.Unlock()
	time.Sleep(delay)
	if err := audit.Verify(secret, req.Header.Get(audit.HeaderSignature), body, r.clock.Now(), 5*time.Minute); err != nil {
		r.t.Errorf("receiver: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		r.t.Errorf("receiver: Content-Type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		r.t.Errorf("receiver: body is not JSON: %v", err)
	}
	if status >= 200 && status < 300 {
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Get(audit.HeaderEvent), req.Header.Get(audit.HeaderDelivery), m})
		r.mu.Unlock()
	}
	w.WriteHeader(status)
}

// events are the kinds the receiver accepted, in order.
func (r *receiver) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, g := range r.got {
		out = append(out, g.Event)
	}
	return out
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

package connection_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// expire moves the shared clock past the connection's access token expiry.
func (tb *testBundle) expire(t testing.TB, id int64) {
	t.Helper()
	c := tb.get(t, id)
	if c.CredentialExpiresAt.IsZero() {
		t.Fatal("the credential does not expire")
	}
	tb.clock.Advance(c.CredentialExpiresAt.Sub(tb.clock.Now()) + time.Second)
}

func TestSingleFlightRefreshAcrossReplicas(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.Postgres)
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	replicas := []*hubtest.Env{tb.b, tb.replica(t, tb.b.Config)}
	ctx := context.Background()
	old, err := tb.b.Hub.Connections.Credential(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	before := tb.front.refreshes.Load()
	tb.expire(t, c.ID)

	const callers = 200
	tokens := make([]string, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cred, err := replicas[i%2].Hub.Connections.Credential(ctx, c.ID)
			tokens[i], errs[i] = cred.AccessToken, err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if tokens[i] == old.AccessToken || tokens[i] != tokens[0] {
			t.Fatalf("caller %d got a stale or different token", i)
		}
	}
	if n := tb.front.refreshes.Load() - before; n != 1 {
		t.Fatalf("%d refreshes reached A's token endpoint, want exactly 1", n)
	}
	for _, r := range replicas {
		if _, err := r.Hub.Connections.Check(ctx, c.ID); err != nil {
			t.Fatalf("the refreshed token does not work: %v", err)
		}
	}
}

// receiver is a webhook endpoint that checks signatures.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	clock  *hubtest.Clock
	kinds  []string
	bad    int
}

func newReceiver(t *testing.T, c *hubtest.Clock) *receiver {
	r := &receiver{clock: c}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := audit.Verify(r.secret, req.Header.Get(audit.HeaderSignature), body, r.clock.Now(), 5*time.Minute); err != nil {
			r.bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		r.kinds = append(r.kinds, req.Header.Get(audit.HeaderEvent))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.kinds...), r.bad
}

func TestTokenEndpointOutageIsNotABreak(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	rcv := newReceiver(t, tb.clock)
	_, secret, err := tb.b.Hub.Webhooks.Create(ctx, tb.admin, rcv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	rcv.secret = secret
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	tb.expire(t, c.ID)

	tb.front.down.Store(true)
	end := tb.clock.Now().Add(time.Minute)
	for tb.clock.Now().Before(end) {
		if err := tb.b.Hub.Connections.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := tb.get(t, c.ID); got.Status == connection.StatusNeedsReconnect {
			t.Fatalf("a 503 from the token endpoint broke the connection: %s", got.ReasonMessage)
		}
		if _, err := tb.b.Hub.Webhooks.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		tb.clock.Advance(2 * time.Second)
	}
	got := tb.wantStatus(t, c.ID, connection.StatusDegraded, connector.ReasonUnreachable)
	if got.TransientFailures < 3 || got.LastError == "" {
		t.Fatalf("failures %d, last error %q", got.TransientFailures, got.LastError)
	}
	if d := tb.diagnose(t, c.ID); step(t, d, "external_credential").Verdict != connection.Warn {
		t.Fatalf("diagnose during the outage: %+v", d.Steps)
	}

	if n := tb.front.refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes got through the outage", n)
	}
	tb.front.down.Store(false)
	tb.clock.Advance(fastTuning.MaxBackoff + time.Second)
	if err := tb.b.Hub.Connections.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	got = tb.wantStatus(t, c.ID, connection.StatusActive, "")
	if got.RecoveredAt.IsZero() || !got.CredentialExpiresAt.After(tb.clock.Now()) || tb.front.refreshes.Load() != 1 {
		t.Fatalf("recovered at %v with a token expiring %v after %d refreshes", got.RecoveredAt, got.CredentialExpiresAt, tb.front.refreshes.Load())
	}
	tb.clock.Advance(6 * time.Minute) // past the webhooks' cool-down
	if _, err := tb.b.Hub.Webhooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	kinds, bad := rcv.got()
	if bad != 0 || len(kinds) != 2 || kinds[0] != audit.EventBroken || kinds[1] != audit.EventRecovered {
		t.Fatalf("receiver got %v with %d bad signatures, want broken then recovered", kinds, bad)
	}
}

func TestWebhookOnIdentityBreak(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	rcv := newReceiver(t, tb.clock)
	_, secret, err := tb.b.Hub.Webhooks.Create(ctx, tb.admin, rcv.URL, []string{audit.EventBroken})
	if err != nil {
		t.Fatal(err)
	}
	rcv.secret = secret
	tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	if _, err := tb.b.Hub.Identity.Deactivate(ctx, tb.connector.Email); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Webhooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Identity.Reactivate(ctx, tb.connector.Email); err != nil {
		t.Fatal(err)
	}
	tb.clock.Advance(10 * time.Minute)
	if _, err := tb.b.Hub.Webhooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if kinds, bad := rcv.got(); bad != 0 || len(kinds) != 1 || kinds[0] != audit.EventBroken {
		t.Fatalf("a broken-only subscription got %v (%d bad)", kinds, bad)
	}
}

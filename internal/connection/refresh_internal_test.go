package connection

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/sqlite"
	"github.com/hubsync/hubsync/internal/vault"
)

// fakeApp is an external app whose refreshes the test controls.
type fakeApp struct {
	mu       sync.Mutex
	token    int
	inFlight atomic.Int32
	most     atomic.Int32
	calls    atomic.Int32
	// hold, when set, blocks each refresh until it is closed.
	hold    chan struct{}
	entered chan struct{}
	fail    error
	account string
}

func (f *fakeApp) Check(context.Context, connector.Target, connector.Credential) (connector.Identity, error) {
	return connector.Identity{Account: f.account}, nil
}

func (f *fakeApp) Refresh(ctx context.Context, _ connector.Target, c connector.Credential) (connector.Credential, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.most.Load()
		if n <= m || f.most.CompareAndSwap(m, n) {
			break
		}
	}
	f.calls.Add(1)
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.hold != nil {
		<-f.hold
	}
	if f.fail != nil {
		return c, f.fail
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token++
	return connector.Credential{AccessToken: "at-" + string(rune('a'+f.token)), RefreshToken: "rt-" + string(rune('a'+f.token)),
		ExpiresAt: time.Now().Add(30 * time.Minute)}, nil
}

type testBundle struct {
	svc *Service
	app *fakeApp
	st  store.Store
	id  int64
	now *atomic.Int64
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Open(filepath.Join(t.TempDir(), "vault.keyset"))
	if err != nil {
		t.Fatal(err)
	}
	ids := identity.NewService(st, identity.WithArgon2(identity.Argon2Params{Time: 1, MemoryKiB: 1024, Threads: 1}))
	if _, _, err := ids.Init(ctx, identity.InitParams{AdminEmail: "admin@example.com", AdminPassword: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	b := &testBundle{app: &fakeApp{account: "acct-1"}, st: st, now: &atomic.Int64{}}
	b.now.Store(time.Now().UnixMilli())
	clock := func() time.Time { return time.UnixMilli(b.now.Load()) }
	b.svc = New(st, v, connector.Registry{"fake": b.app}, "http://hub.example/cb", WithClock(clock),
		WithTuning(Tuning{RefreshAhead: time.Minute, RefreshLease: 5 * time.Second, CheckEvery: time.Minute,
			UnreachableAfter: 3, MaxBackoff: 10 * time.Second, AttemptTTL: time.Minute}))
	err = st.Update(ctx, func(tx store.Tx) error {
		in, err := tx.CreateIntegration(ctx, store.Integration{Name: "fake", Provider: "fake", AuthKind: AuthOAuth2})
		if err != nil {
			return err
		}
		c, err := tx.CreateConnection(ctx, store.Connection{IntegrationID: in.ID, Name: "c", AuthMode: ModeApp,
			Status: StatusActive, External: map[string]string{"account": "acct-1"}})
		if err != nil {
			return err
		}
		b.id = c.ID
		if err := b.svc.storeCredential(&c, connector.Credential{AccessToken: "at-0", RefreshToken: "rt-0", ExpiresAt: clock().Add(time.Hour)}); err != nil {
			return err
		}
		return tx.UpdateConnection(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *testBundle) expire() { b.now.Add((2 * time.Hour).Milliseconds()) }

func (b *testBundle) stored(t *testing.T) (store.Connection, connector.Credential) {
	t.Helper()
	c, cred, err := b.svc.load(context.Background(), b.id)
	if err != nil {
		t.Fatal(err)
	}
	return c, cred
}

// A refresh for a refused token and one for an expiring token, at once in
// one process, must not both present the refresh token: the provider would
// see it reused and end the grant.
func TestRefreshesForDifferentReasonsDoNotOverlap(t *testing.T) {
	b := setup(t)
	b.expire()
	b.app.hold, b.app.entered = make(chan struct{}), make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, failed := range []string{"", "at-0"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.svc.refreshOnce(context.Background(), b.id, failed); err != nil {
				t.Error(err)
			}
		}()
	}
	<-b.app.entered
	time.Sleep(100 * time.Millisecond) // give the other flight time to try
	close(b.app.hold)
	wg.Wait()
	if b.app.calls.Load() != 1 || b.app.most.Load() != 1 {
		t.Fatalf("%d refreshes, %d at once; want exactly one", b.app.calls.Load(), b.app.most.Load())
	}
}

// Once the provider has rotated the token, the new one is stored even if
// the caller that started the refresh has gone away.
func TestRefreshOutlivesItsCaller(t *testing.T) {
	b := setup(t)
	b.expire()
	b.app.hold, b.app.entered = make(chan struct{}), make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.svc.refreshOnce(ctx, b.id, "")
	}()
	<-b.app.entered
	cancel()
	close(b.app.hold)
	<-done
	if _, cred := b.stored(t); cred.RefreshToken != "rt-b" {
		t.Fatalf("stored refresh token %q after the caller left, want the rotated one", cred.RefreshToken)
	}
}

// A refresh that loses its lease (a reconnect replaced the credential)
// must not write its stale result over the new credential.
func TestRefreshAfterReconnectIsDropped(t *testing.T) {
	b := setup(t)
	b.expire()
	b.app.hold, b.app.entered = make(chan struct{}), make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.svc.refreshOnce(context.Background(), b.id, "")
	}()
	<-b.app.entered
	ctx := context.Background()
	err := b.st.Update(ctx, func(tx store.Tx) error { // what repair does
		c, err := tx.Connection(ctx, b.id)
		if err != nil {
			return err
		}
		if err := b.svc.storeCredential(&c, connector.Credential{AccessToken: "reconnected", RefreshToken: "rt-new",
			ExpiresAt: time.UnixMilli(b.now.Load()).Add(time.Hour)}); err != nil {
			return err
		}
		c.RefreshLeaseUntil, c.RefreshLeaseOwner = time.Time{}, ""
		return tx.UpdateConnection(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	close(b.app.hold)
	<-done
	if _, cred := b.stored(t); cred.AccessToken != "reconnected" {
		t.Fatalf("the stale refresh overwrote the reconnect: %q", cred.AccessToken)
	}
}

// After a transient failure, neither upkeep nor callers retry before the
// backoff ends.
func TestBackoffIsRespected(t *testing.T) {
	b := setup(t)
	b.expire()
	b.app.fail = connector.Transient(connector.ReasonRateLimited, "slow down", nil)
	ctx := context.Background()
	if _, err := b.svc.Credential(ctx, b.id); err == nil {
		t.Fatal("a failed refresh gave a credential")
	}
	for range 5 {
		if err := b.svc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		b.svc.Credential(ctx, b.id)
		b.now.Add(100)
	}
	if n := b.app.calls.Load(); n != 1 {
		t.Fatalf("%d refreshes during the backoff, want 1", n)
	}
	c, _ := b.stored(t)
	b.now.Store(c.NextCheckAt.UnixMilli() + 1)
	b.app.fail = nil
	if err := b.svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := b.app.calls.Load(); n != 2 {
		t.Fatalf("%d refreshes after the backoff, want 2", n)
	}
}

// A reconnect must not swap the external account under the links.
func TestReconnectToAnotherAccountIsRefused(t *testing.T) {
	b := setup(t)
	b.app.account = "acct-2"
	ctx := context.Background()
	var in store.Integration
	b.st.View(ctx, func(tx store.Tx) error {
		var err error
		in, err = tx.Integration(ctx, 1)
		return err
	})
	c, _ := b.stored(t)
	_, err := b.svc.finishWithCredential(ctx, audit.CLI, in, c, b.id, connector.Credential{AccessToken: "x"})
	if err == nil {
		t.Fatal("a reconnect to another external account was accepted")
	}
}

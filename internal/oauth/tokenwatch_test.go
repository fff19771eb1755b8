package oauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// watched is a store that may answer the auth generation from memory
// (PostgreSQL's, kept current by a listener).
type watched interface{ AuthWatched() bool }

// TestWatchedChecksSeeOtherReplicasChanges: on PostgreSQL the serving hub
// answers checks from memory once its listener is up, and a revocation,
// deletion or rotation made through a second hub on the same database is
// still refused on the serving hub's very next call.
func TestWatchedChecksSeeOtherReplicasChanges(t *testing.T) {
	const ann = "ann@example.com"
	ctx := context.Background()
	cases := []struct {
		name   string
		oauth  bool
		change func(t *testing.T, other *hubtest.Env, app store.PrivateApp)
	}{
		{name: "grant revoked", oauth: true, change: func(t *testing.T, other *hubtest.Env, _ store.PrivateApp) {
			grants, err := other.Hub.Grants.List(ctx, 0, 0)
			must(t, err)
			for _, g := range grants {
				must(t, other.Hub.Grants.Revoke(ctx, g.ID, "test"))
			}
		}},
		{name: "private app deleted", change: func(t *testing.T, other *hubtest.Env, app store.PrivateApp) {
			must(t, other.Hub.PrivateApps.Delete(ctx, app.ID))
		}},
		{name: "private app rotated", change: func(t *testing.T, other *hubtest.Env, app store.PrivateApp) {
			_, _, err := other.Hub.PrivateApps.Rotate(ctx, app.ID, 0)
			must(t, err)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, hubtest.Postgres)
			b.env.User(t, ann, identity.RoleMember, map[string]string{"contacts": "view"})
			app, token, err := b.env.Hub.PrivateApps.Create(ctx, "watched app", []string{contactsRead}, 0)
			must(t, err)
			if c.oauth {
				token = b.connect(t, ann).access
			}
			other := hubtest.Open(t, b.env.Config)
			wantAPI(t, b.api(t, "contacts", token), http.StatusOK, "")
			// Both hubs listen, as replicas in service do.
			for _, env := range []*hubtest.Env{b.env, other} {
				w, ok := env.Hub.Store.(watched)
				if !ok {
					t.Fatalf("%T does not say whether it answers from memory", env.Hub.Store)
				}
				for deadline := time.Now().Add(10 * time.Second); !w.AuthWatched(); time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the hub never answered token checks from memory")
					}
				}
			}
			wantAPI(t, b.api(t, "contacts", token), http.StatusOK, "")
			c.change(t, other, app)
			if r := b.api(t, "contacts", token); r.Status != http.StatusUnauthorized {
				t.Fatalf("next call after %s on another replica: %d, want 401\n%s", c.name, r.Status, r.Body)
			}
		})
	}
}

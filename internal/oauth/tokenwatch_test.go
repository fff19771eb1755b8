package oauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
)

// watched is a store that may answer the auth generation from memory
// (PostgreSQL's, kept current by a listener).
type watched interface{ AuthWatched() bool }

// TestWatchedChecksSeeOtherReplicasChanges: on PostgreSQL the serving hub
// answers checks from memory once its listener is up, and each change that
// must stop a token (a revocation, deletion, rotation…) made through a
// second hub on the same database is still refused on the serving hub's
// very next call.
func TestWatchedChecksSeeOtherReplicasChanges(t *testing.T) {
	const ann = "ann@example.com"
	ctx := context.Background()
	for _, c := range replicaChanges() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, hubtest.Postgres)
			b.env.User(t, ann, identity.RoleMember, map[string]string{"contacts": "view", "deals": "view"})
			app, token, err := b.env.Hub.PrivateApps.Create(ctx, "watched app", []string{contactsRead, dealsRead}, 0)
			must(t, err)
			if c.oauth {
				token = b.connect(t, ann).access
			}
			other := hubtest.Open(t, b.env.Config)
			wantAPI(t, b.api(t, "contacts", token), http.StatusOK, "")
			// Both hubs listen, as replicas in service do.
			for _, env := range []*hubtest.Env{b.env, other} {
				waitWatched(t, env)
			}
			wantAPI(t, b.api(t, "contacts", token), http.StatusOK, "")
			c.change(t, other, app)
			if r := b.api(t, "contacts", token); r.Status != c.status {
				t.Fatalf("next call after %s on another replica: %d, want %d\n%s", c.name, r.Status, c.status, r.Body)
			}
		})
	}
}

// waitWatched waits until env's hub answers token checks from memory.
func waitWatched(t *testing.T, env *hubtest.Env) {
	t.Helper()
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

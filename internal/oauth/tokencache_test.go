package oauth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// TestCachedChecksSeeOtherReplicasChanges makes each change that must stop
// a token through a second hub on the same database (another replica, or
// the command line), after the serving hub has checked the token and kept
// the answer: the token's next call on the serving hub is refused.
func TestCachedChecksSeeOtherReplicasChanges(t *testing.T) {
	const ann = "ann@example.com"
	ctx := context.Background()
	cases := replicaChanges()
	for _, backend := range hubtest.Backends {
		for _, c := range cases {
			t.Run(string(backend)+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, backend)
				b.env.User(t, ann, identity.RoleMember, map[string]string{"contacts": "view", "deals": "view"})
				app, token, err := b.env.Hub.PrivateApps.Create(ctx, "cached app", []string{contactsRead, dealsRead}, 0)
				must(t, err)
				if c.oauth {
					token = b.connect(t, ann).access
				}
				// Twice: the second answer comes from what the first kept.
				for range 2 {
					wantAPI(t, b.api(t, "contacts", token), http.StatusOK, "")
				}
				other := hubtest.Open(t, b.env.Config)
				c.change(t, other, app)
				if r := b.api(t, "contacts", token); r.Status != c.status {
					t.Fatalf("next call after %s on another replica: %d, want %d\n%s", c.name, r.Status, c.status, r.Body)
				}
			})
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRefreshSeesOtherReplicasChanges: a refresh token whose grant the
// token endpoint has found working is refused on its next refresh once
// another replica has ended the grant, by each way a grant ends.
func TestRefreshSeesOtherReplicasChanges(t *testing.T) {
	const ann = "ann@example.com"
	ctx := context.Background()
	changes := map[string]func(t *testing.T, other *hubtest.Env){
		"user removed": func(t *testing.T, other *hubtest.Env) {
			_, err := other.Hub.Identity.Remove(ctx, ann)
			must(t, err)
		},
		"user deactivated": func(t *testing.T, other *hubtest.Env) {
			_, err := other.Hub.Identity.Deactivate(ctx, ann)
			must(t, err)
		},
		"grant revoked": func(t *testing.T, other *hubtest.Env) {
			grants, err := other.Hub.Grants.List(ctx, 0, 0)
			must(t, err)
			for _, g := range grants {
				must(t, other.Hub.Grants.Revoke(ctx, g.ID, "test"))
			}
		},
	}
	for _, backend := range hubtest.Backends {
		for name, change := range changes {
			t.Run(string(backend)+"/"+name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, backend)
				b.env.User(t, ann, identity.RoleMember, map[string]string{"contacts": "view", "deals": "view"})
				tk := b.connect(t, ann)
				for range 2 {
					mustTokens(t, b.refresh(t, tk.refresh))
				}
				change(t, hubtest.Open(t, b.env.Config))
				if r := b.refresh(t, tk.refresh); r.status != http.StatusBadRequest || r.str("error") != "invalid_grant" {
					t.Fatalf("refresh after %s on another replica: %d %s", name, r.status, r.raw)
				}
			})
		}
	}
}

// replicaChange is a change made through a second hub on the same database
// that must stop a token, and the status of the token's next call.
type replicaChange struct {
	name string
	// oauth picks an OAuth access token of ann's; otherwise a private
	// app token with contacts read.
	oauth  bool
	change func(t *testing.T, other *hubtest.Env, app store.PrivateApp)
	status int
}

// replicaChanges are the changes that must stop a token through another replica.
func replicaChanges() []replicaChange {
	const ann = "ann@example.com"
	ctx := context.Background()
	return []replicaChange{
		{name: "private app deleted", status: http.StatusUnauthorized,
			change: func(t *testing.T, other *hubtest.Env, app store.PrivateApp) {
				must(t, other.Hub.PrivateApps.Delete(ctx, app.ID))
			}},
		{name: "private app rotated", status: http.StatusUnauthorized,
			change: func(t *testing.T, other *hubtest.Env, app store.PrivateApp) {
				_, _, err := other.Hub.PrivateApps.Rotate(ctx, app.ID, 0)
				must(t, err)
			}},
		{name: "private app scope removed", status: http.StatusForbidden,
			change: func(t *testing.T, other *hubtest.Env, app store.PrivateApp) {
				_, err := other.Hub.PrivateApps.SetScopes(ctx, app.ID, []string{dealsRead})
				must(t, err)
			}},
		{name: "grant revoked", oauth: true, status: http.StatusUnauthorized,
			change: func(t *testing.T, other *hubtest.Env, _ store.PrivateApp) {
				grants, err := other.Hub.Grants.List(ctx, 0, 0)
				must(t, err)
				for _, g := range grants {
					must(t, other.Hub.Grants.Revoke(ctx, g.ID, "test"))
				}
			}},
		{name: "user removed", oauth: true, status: http.StatusUnauthorized,
			change: func(t *testing.T, other *hubtest.Env, _ store.PrivateApp) {
				_, err := other.Hub.Identity.Remove(ctx, ann)
				must(t, err)
			}},
		{name: "user deactivated", oauth: true, status: http.StatusUnauthorized,
			change: func(t *testing.T, other *hubtest.Env, _ store.PrivateApp) {
				_, err := other.Hub.Identity.Deactivate(ctx, ann)
				must(t, err)
			}},
		{name: "user permission lowered", oauth: true, status: http.StatusForbidden,
			change: func(t *testing.T, other *hubtest.Env, _ store.PrivateApp) {
				_, err := other.Hub.Identity.UpdateUser(ctx, ann, identity.UserChanges{Permissions: map[string]string{"contacts": identity.AccessNone}})
				must(t, err)
			}},
		{name: "app deleted", oauth: true, status: http.StatusUnauthorized,
			change: func(t *testing.T, other *hubtest.Env, _ store.PrivateApp) {
				apps, err := other.Hub.Apps.List(ctx)
				must(t, err)
				for _, a := range apps {
					must(t, other.Hub.Apps.Delete(ctx, a.ClientID))
				}
			}},
	}
}

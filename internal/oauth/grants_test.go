package oauth_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// TestGrantsAsAdminsSeeThem: the grant list shows app, user, scopes, when
// the grant was made and last used; Impact lists only the user's live
// grants; Revoke ends a grant's tokens.
func TestGrantsAsAdminsSeeThem(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			ctx := context.Background()
			grants := b.env.Hub.Grants
			ann := b.env.User(t, "ann@example.com", identity.RoleMember, nil)
			bob := b.env.User(t, "bob@example.com", identity.RoleMember, nil)
			second, secondSecret := b.env.App(t, oauth.AppInput{Name: "Second app", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
			secondConf := b.oauth2Config(second, secondSecret)
			start := time.Now()

			annFirst := b.connect(t, ann.Email)
			code, verifier := codeFor(t, b.env, secondConf, ann.Email)
			form := b.exchangeForm(code, verifier)
			form.Set("client_id", second.ClientID)
			form.Set("client_secret", secondSecret)
			annSecond := mustTokens(t, post(t, b.env, "/oauth/v1/token", form, nil))
			b.connect(t, bob.Email)

			g := grantOf(t, b.env, b.app.ID, ann.Email)
			switch {
			case g.App.Name != "Lifecycle app" || g.App.ID != b.app.ID:
				t.Errorf("grant app = %d %q, want %d Lifecycle app", g.App.ID, g.App.Name, b.app.ID)
			case g.User.ID != ann.ID || g.User.Email != ann.Email:
				t.Errorf("grant user = %d %s, want %s", g.User.ID, g.User.Email, ann.Email)
			case !slices.Equal(slices.Sorted(slices.Values(g.Scopes)), []string{contactsRead, dealsRead}):
				t.Errorf("grant scopes = %v", g.Scopes)
			case g.CreatedAt.Before(start.Add(-time.Second)) || g.CreatedAt.After(time.Now()):
				t.Errorf("grant created %s, want between %s and now", g.CreatedAt, start)
			case !g.LastUsedAt.IsZero():
				t.Errorf("grant last used %s before any API call", g.LastUsedAt)
			case !g.Active || g.Ended != "":
				t.Errorf("new grant inactive: %q", g.Ended)
			}

			wantAPI(t, b.api(t, "contacts", annFirst.access), http.StatusOK, "")
			if g := grantOf(t, b.env, b.app.ID, ann.Email); g.LastUsedAt.Before(start.Add(-time.Second)) || g.LastUsedAt.After(time.Now()) {
				t.Errorf("grant last used %s after an API call, want a time since %s", g.LastUsedAt, start)
			}
			if g := grantOf(t, b.env, second.ID, ann.Email); !g.LastUsedAt.IsZero() {
				t.Errorf("an unused grant shows last used %s", g.LastUsedAt)
			}

			byUser, err := grants.List(ctx, ann.ID, 0)
			if err != nil || len(byUser) != 2 {
				t.Fatalf("List(ann) = %d grants, %v; want 2", len(byUser), err)
			}
			if byApp, _ := grants.List(ctx, 0, second.ID); len(byApp) != 1 || byApp[0].User.ID != ann.ID {
				t.Errorf("List(second app) = %+v, want ann's one grant", byApp)
			}

			impactIDs := func(userID int64) []string {
				t.Helper()
				views, err := grants.Impact(ctx, userID)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, v := range views {
					if v.User.ID != userID || !v.Active {
						t.Errorf("Impact(%d) lists %+v", userID, v)
					}
					ids = append(ids, v.ID)
				}
				slices.Sort(ids)
				return ids
			}
			firstGrant, secondGrant := grantOf(t, b.env, b.app.ID, ann.Email), grantOf(t, b.env, second.ID, ann.Email)
			if got, want := impactIDs(ann.ID), slices.Sorted(slices.Values([]string{firstGrant.ID, secondGrant.ID})); !slices.Equal(got, want) {
				t.Errorf("Impact(ann) = %v, want %v", got, want)
			}

			if err := grants.Revoke(ctx, secondGrant.ID, "revoked by an admin in a test"); err != nil {
				t.Fatal(err)
			}
			wantAPI(t, b.api(t, "contacts", annSecond.access), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
			if got := impactIDs(ann.ID); !slices.Equal(got, []string{firstGrant.ID}) {
				t.Errorf("Impact(ann) after a revocation = %v, want only %s", got, firstGrant.ID)
			}
			if g := grantOf(t, b.env, second.ID, ann.Email); g.Active || g.RevokeReason != "revoked by an admin in a test" {
				t.Errorf("revoked grant: active=%v reason %q", g.Active, g.RevokeReason)
			}

			// A removed user's grants show why they ended, and are no
			// longer an impact of anything.
			if _, err := b.env.Hub.Identity.Remove(ctx, bob.Email); err != nil {
				t.Fatal(err)
			}
			if g := grantOf(t, b.env, b.app.ID, bob.Email); g.Active || !containsAny(g.Ended, "removed") {
				t.Errorf("removed user's grant: active=%v ended %q", g.Active, g.Ended)
			}
			if got := impactIDs(bob.ID); len(got) != 0 {
				t.Errorf("Impact(removed bob) = %v, want none", got)
			}
		})
	}
}

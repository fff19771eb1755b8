package oauth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// TestPermissionChangesApplyToTheNextCall reduces, then restores, the
// authorizing user's permission on deals: each call sees the user's
// permissions of that moment, on that object only.
func TestPermissionChangesApplyToTheNextCall(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend, contactsRead, dealsRead, "crm.objects.deals.write")
			ctx := context.Background()
			const email = "pat@example.com"
			b.env.User(t, email, identity.RoleMember, map[string]string{"contacts": "view", "deals": "edit"})
			tk := b.connect(t, email)
			newDeal := map[string]any{"properties": map[string]string{"dealname": "Renewal"}}
			setDeals := func(level string) {
				t.Helper()
				if _, err := b.env.Hub.Identity.UpdateUser(ctx, email, identity.UserChanges{Permissions: map[string]string{"deals": level}}); err != nil {
					t.Fatal(err)
				}
			}

			if r := b.env.Do(t, http.MethodPost, "/crm/v3/objects/deals", tk.access, newDeal); r.Status != http.StatusCreated {
				t.Fatalf("create a deal with edit permission: %d %s", r.Status, r.Body)
			}

			setDeals(identity.AccessView)
			wantAPI(t, b.env.Do(t, http.MethodPost, "/crm/v3/objects/deals", tk.access, newDeal),
				http.StatusForbidden, "INSUFFICIENT_PERMISSIONS", email, "deals", "edit")
			wantAPI(t, b.api(t, "deals", tk.access), http.StatusOK, "")

			setDeals(identity.AccessNone)
			wantAPI(t, b.api(t, "deals", tk.access), http.StatusForbidden, "INSUFFICIENT_PERMISSIONS", email, "deals")
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusOK, "")

			// The grant itself lives on: a refresh works, and the new token
			// is held to the same live permissions.
			fresh := mustTokens(t, b.refresh(t, tk.refresh))
			wantAPI(t, b.api(t, "deals", fresh.access), http.StatusForbidden, "INSUFFICIENT_PERMISSIONS", email, "deals")
			wantAPI(t, b.api(t, "contacts", fresh.access), http.StatusOK, "")

			setDeals(identity.AccessView)
			wantAPI(t, b.api(t, "deals", fresh.access), http.StatusOK, "")
		})
	}
}

// TestGrantEndings covers the user events that end a user's grants, and the
// policy that keeps them across a password change. Each runs with the API
// call first and with the refresh first, since either may be the first to
// notice, and checks that another user's grant of the same app is untouched.
func TestGrantEndings(t *testing.T) {
	const ann, bob = "ann@example.com", "bob@example.com"
	newPassword := "a brand new password"
	cases := []struct {
		name   string
		keep   bool // set oauth.revoke_on_credentials_change to false first
		change func(ctx context.Context, id *identity.Service) error
		// ended is false when the grant must keep working; otherwise words
		// are what both the 401 message and the invalid_grant description
		// must say (a|b accepts either).
		ended bool
		words []string
	}{
		{name: "deactivated", ended: true, words: []string{ann, "deactivated"},
			change: func(ctx context.Context, id *identity.Service) error { _, err := id.Deactivate(ctx, ann); return err }},
		{name: "removed", ended: true, words: []string{ann, "removed"},
			change: func(ctx context.Context, id *identity.Service) error { _, err := id.Remove(ctx, ann); return err }},
		{name: "password changed, default policy revokes", ended: true, words: []string{"password|credentials"},
			change: func(ctx context.Context, id *identity.Service) error {
				_, err := id.UpdateUser(ctx, ann, identity.UserChanges{Password: &newPassword})
				return err
			}},
		{name: "password changed, policy false keeps", keep: true,
			change: func(ctx context.Context, id *identity.Service) error {
				_, err := id.UpdateUser(ctx, ann, identity.UserChanges{Password: &newPassword})
				return err
			}},
	}
	for _, tc := range cases {
		for _, refreshFirst := range []bool{false, true} {
			order := "/api first"
			if refreshFirst {
				order = "/refresh first"
			}
			for _, backend := range hubtest.Backends {
				t.Run(tc.name+order+"/"+string(backend), func(t *testing.T) {
					t.Parallel()
					b := setup(t, backend)
					ctx := context.Background()
					b.env.User(t, ann, identity.RoleMember, nil)
					b.env.User(t, bob, identity.RoleMember, nil)
					if tc.keep {
						if err := oauth.SetPolicy(ctx, b.env.Hub.Store, oauth.PolicyRevokeOnCredentialsChange, false); err != nil {
							t.Fatal(err)
						}
					} else if on, err := oauth.Policy(ctx, b.env.Hub.Store, oauth.PolicyRevokeOnCredentialsChange); err != nil || !on {
						t.Fatalf("default %s = %v (%v), want true", oauth.PolicyRevokeOnCredentialsChange, on, err)
					}
					annTok, bobTok := b.connect(t, ann), b.connect(t, bob)
					wantAPI(t, b.api(t, "contacts", annTok.access), http.StatusOK, "")

					if err := tc.change(ctx, b.env.Hub.Identity); err != nil {
						t.Fatal(err)
					}
					// A refresh retires the access token issued with the old
					// refresh token, so the API is called with the newest one.
					access := annTok.access
					checkAPI := func() {
						t.Helper()
						if tc.ended {
							wantAPI(t, b.api(t, "contacts", access), http.StatusUnauthorized, "INVALID_AUTHENTICATION", tc.words...)
						} else {
							wantAPI(t, b.api(t, "contacts", access), http.StatusOK, "")
						}
					}
					checkRefresh := func() {
						t.Helper()
						r := b.refresh(t, annTok.refresh)
						if !tc.ended {
							access = mustTokens(t, r).access
							return
						}
						wantTokenError(t, r, http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", tc.words...)
					}
					if refreshFirst {
						checkRefresh()
						checkAPI()
					} else {
						checkAPI()
						checkRefresh()
					}

					g := grantOf(t, b.env, b.app.ID, ann)
					if g.Active == tc.ended {
						t.Errorf("Grants.List shows ann's grant active=%v (ended %q), want active=%v", g.Active, g.Ended, !tc.ended)
					}
					wantAPI(t, b.api(t, "contacts", bobTok.access), http.StatusOK, "")
					mustTokens(t, b.refresh(t, bobTok.refresh))
				})
			}
		}
	}
}

// TestReactivatedUserGrantsWorkAgain: deactivation suspends a user's
// grants, and reactivation restores them, refresh tokens included.
func TestReactivatedUserGrantsWorkAgain(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			ctx := context.Background()
			const email = "dee@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			tk := b.connect(t, email)
			if _, err := b.env.Hub.Identity.Deactivate(ctx, email); err != nil {
				t.Fatal(err)
			}
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusUnauthorized, "INVALID_AUTHENTICATION", "deactivated")
			wantTokenError(t, b.refresh(t, tk.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", "deactivated")
			if _, err := b.env.Hub.Identity.Reactivate(ctx, email); err != nil {
				t.Fatal(err)
			}
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusOK, "")
			fresh := mustTokens(t, b.refresh(t, tk.refresh))
			wantAPI(t, b.api(t, "contacts", fresh.access), http.StatusOK, "")
			if g := grantOf(t, b.env, b.app.ID, email); !g.Active {
				t.Errorf("grant inactive after reactivation: %s", g.Ended)
			}
		})
	}
}

// TestRefreshTokenReuseRevokesTheGrant presents a refresh token after it
// was rotated, for a public app (which always rotates) and a confidential
// app that opted into rotation: the request fails and the whole grant ends,
// including the tokens the rotation issued (RFC 9700 §4.14.2).
func TestRefreshTokenReuseRevokesTheGrant(t *testing.T) {
	for _, backend := range hubtest.Backends {
		for _, kind := range []string{"public", "rotating confidential"} {
			t.Run(string(backend)+"/"+kind, func(t *testing.T) {
				t.Parallel()
				b := setup(t, backend)
				const email = "rita@example.com"
				b.env.User(t, email, identity.RoleMember, nil)
				r := rotatingApp(t, b, kind == "public")
				first := r.connect(t, email)
				second := mustTokens(t, r.refresh(t, first.refresh))
				if second.refresh == first.refresh {
					t.Fatalf("a %s app's refresh token did not rotate", kind)
				}
				wantAPI(t, b.api(t, "contacts", second.access), http.StatusOK, "")

				wantTokenError(t, r.refresh(t, first.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN")

				wantAPI(t, b.api(t, "contacts", second.access), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
				wantTokenError(t, r.refresh(t, second.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN")
				if g := grantOf(t, b.env, r.app.ID, email); g.Active || g.RevokedAt.IsZero() {
					t.Errorf("grant still active after refresh-token reuse: %+v", g)
				}
			})
		}
	}
}

// TestCodeReuseRevokesIssuedTokens exchanges a code, refreshes once, then
// exchanges the code again: the second exchange fails and every token
// issued from the code stops working.
func TestCodeReuseRevokesIssuedTokens(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			const email = "cody@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			code, verifier := b.code(t, email)
			first := mustTokens(t, b.exchange(t, code, verifier))
			second := mustTokens(t, b.refresh(t, first.refresh))

			wantTokenError(t, b.exchange(t, code, verifier), http.StatusBadRequest, "invalid_grant", "BAD_AUTH_CODE")

			for _, access := range []string{first.access, second.access} {
				wantAPI(t, b.api(t, "contacts", access), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
			}
			wantTokenError(t, b.refresh(t, second.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN")
			if g := grantOf(t, b.env, b.app.ID, email); g.Active {
				t.Errorf("grant still active after code reuse: %+v", g)
			}
		})
	}
}

// TestCodeOfAnEndedGrantIsRefused: a user who consents and is then
// deactivated, removed or changes password before the app exchanges the
// code gives the app invalid_grant naming the reason, and no tokens.
func TestCodeOfAnEndedGrantIsRefused(t *testing.T) {
	const email = "late@example.com"
	newPassword := "another new password"
	cases := []struct {
		name   string
		change func(ctx context.Context, id *identity.Service) error
		word   string
	}{
		{"deactivated", func(ctx context.Context, id *identity.Service) error { _, err := id.Deactivate(ctx, email); return err }, "deactivated"},
		{"removed", func(ctx context.Context, id *identity.Service) error { _, err := id.Remove(ctx, email); return err }, "removed"},
		{"password changed", func(ctx context.Context, id *identity.Service) error {
			_, err := id.UpdateUser(ctx, email, identity.UserChanges{Password: &newPassword})
			return err
		}, "password|credentials"},
	}
	for _, tc := range cases {
		for _, backend := range hubtest.Backends {
			t.Run(tc.name+"/"+string(backend), func(t *testing.T) {
				t.Parallel()
				b := setup(t, backend)
				b.env.User(t, email, identity.RoleMember, nil)
				code, verifier := b.code(t, email)
				if err := tc.change(context.Background(), b.env.Hub.Identity); err != nil {
					t.Fatal(err)
				}
				wantTokenError(t, b.exchange(t, code, verifier), http.StatusBadRequest, "invalid_grant", "BAD_AUTH_CODE", tc.word)
				if n := b.env.CountTokens(t, store.TokenAccess, store.TokenRefresh); n != 0 {
					t.Errorf("%d tokens issued for an ended grant", n)
				}
			})
		}
	}
}

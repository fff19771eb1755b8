package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// TestConfidentialAppKeepsTheInstallRefreshToken does what HubSpot's
// documentation tells apps to do: store the refresh token of the install
// and reuse it. Every refresh with it works and answers with the same
// refresh token and a new access token; earlier access tokens keep working
// until they expire. Only revoking the grant, by the app or by an admin,
// ends the refresh token.
func TestConfidentialAppKeepsTheInstallRefreshToken(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			const email = "kim@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			install := b.connect(t, email)
			if install.body["token_use"] != "access_token" {
				t.Errorf("token answer lacks token_use=access_token: %v", install.body)
			}
			access := []string{install.access}
			for i := range 3 {
				r := b.refresh(t, install.refresh)
				got := mustTokens(t, r)
				if got.refresh != install.refresh {
					t.Fatalf("refresh %d answered another refresh token", i+1)
				}
				if r.str("token_use") != "access_token" || r.str("token_type") != "bearer" {
					t.Errorf("refresh %d: token_use %q, token_type %q", i+1, r.str("token_use"), r.str("token_type"))
				}
				access = append(access, got.access)
			}
			for i, a := range access {
				if i > 0 && a == access[i-1] {
					t.Errorf("refresh %d answered the same access token again", i)
				}
				wantAPI(t, b.api(t, "contacts", a), http.StatusOK, "")
			}
			if r := b.env.Do(t, http.MethodGet, "/oauth/v1/refresh-tokens/"+install.refresh, "", nil); r.Status != http.StatusOK {
				t.Errorf("refresh-token information after three refreshes: %d %s", r.Status, r.Body)
			}

			// The app deletes its refresh token (HubSpot's uninstall call).
			if r := b.env.Do(t, http.MethodDelete, "/oauth/v1/refresh-tokens/"+install.refresh, "", nil); r.Status != http.StatusNoContent {
				t.Fatalf("DELETE refresh token: %d %s", r.Status, r.Body)
			}
			wantTokenError(t, b.refresh(t, install.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", "revoked")

			// An admin revokes another user's grant.
			const other = "lou@example.com"
			b.env.User(t, other, identity.RoleMember, nil)
			second := b.connect(t, other)
			mustTokens(t, b.refresh(t, second.refresh))
			if err := b.env.Hub.Grants.Revoke(context.Background(), grantOf(t, b.env, b.app.ID, other).ID, "revoked by an admin"); err != nil {
				t.Fatal(err)
			}
			wantTokenError(t, b.refresh(t, second.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", "revoked")
		})
	}
}

// TestRefreshTokenLifetimes lets an app's refresh-token lifetimes pass on
// the hub's clock: the idle lifetime runs from the last refresh, the
// absolute one from the consent, and a lifetime set later applies to
// grants made before it. An expired token is refused as invalid_grant with
// the policy named, category EXPIRED_AUTHENTICATION, its information is
// gone, and admins see its grant as ended.
func TestRefreshTokenLifetimes(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			clock := hubtest.NewClock(time.Now().UTC())
			b := setupOn(t, hubtest.Open(t, hubtest.Config(t, backend), hub.WithOAuthClock(clock.Now)))
			for _, email := range []string{"idle@example.com", "whole@example.com", "later@example.com"} {
				b.env.User(t, email, identity.RoleMember, nil)
			}
			setPolicy := func(idle, absolute time.Duration) {
				t.Helper()
				in := oauth.InputOf(b.app)
				in.RefreshTokenIdleTTL, in.RefreshTokenAbsoluteTTL = &idle, &absolute
				if _, err := b.env.Hub.Apps.Update(context.Background(), b.app.ClientID, in); err != nil {
					t.Fatal(err)
				}
			}
			expired := func(r reply, setting string) {
				t.Helper()
				wantTokenError(t, r, http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", setting, "expired")
				if r.str("category") != "EXPIRED_AUTHENTICATION" {
					t.Errorf("category %q, want EXPIRED_AUTHENTICATION: %s", r.str("category"), r.raw)
				}
			}

			// Idle: 30 days unused.
			setPolicy(30*24*time.Hour, 0)
			idle := b.connect(t, "idle@example.com")
			for range 2 {
				clock.Advance(29 * 24 * time.Hour)
				mustTokens(t, b.refresh(t, idle.refresh))
			}
			if g := grantOf(t, b.env, b.app.ID, "idle@example.com"); !g.Active {
				t.Errorf("grant ended within its idle lifetime: %s", g.Ended)
			}
			clock.Advance(31 * 24 * time.Hour)
			expired(b.refresh(t, idle.refresh), oauth.SettingIdleTTL)
			// Admins see the grant as ended, and why.
			if g := grantOf(t, b.env, b.app.ID, "idle@example.com"); g.Active || !strings.Contains(g.Ended, oauth.SettingIdleTTL) {
				t.Errorf("grant past its idle lifetime: active %v, ended %q", g.Active, g.Ended)
			}
			if r := b.env.Do(t, http.MethodGet, "/oauth/v1/refresh-tokens/"+idle.refresh, "", nil); r.Status != http.StatusNotFound {
				t.Errorf("information on an expired refresh token: %d %s", r.Status, r.Body)
			}

			// Absolute: 60 days from consent, however often it is used.
			setPolicy(0, 60*24*time.Hour)
			whole := b.connect(t, "whole@example.com")
			for range 2 {
				clock.Advance(29 * 24 * time.Hour)
				mustTokens(t, b.refresh(t, whole.refresh))
			}
			clock.Advance(3 * 24 * time.Hour)
			expired(b.refresh(t, whole.refresh), oauth.SettingAbsoluteTTL)

			// A policy set after the consent applies at once, and lifting
			// it brings the token back; the token's information and its
			// introspection say the same as the token endpoint.
			setPolicy(0, 0)
			later := b.connect(t, "later@example.com")
			clock.Advance(2 * time.Hour)
			setPolicy(time.Hour, 0)
			expired(b.refresh(t, later.refresh), oauth.SettingIdleTTL)
			wantLive(t, b, later.refresh, false)
			setPolicy(0, 0)
			wantLive(t, b, later.refresh, true)
			mustTokens(t, b.refresh(t, later.refresh))
		})
	}
}

// wantLive checks what the refresh token's information and its app's
// introspection say of it: live, or gone.
func wantLive(t *testing.T, b *bundle, refresh string, live bool) {
	t.Helper()
	info, want := b.env.Do(t, http.MethodGet, "/oauth/v1/refresh-tokens/"+refresh, "", nil), http.StatusNotFound
	if live {
		want = http.StatusOK
	}
	if info.Status != want {
		t.Errorf("refresh-token information: %d %s, want %d", info.Status, info.Body, want)
	}
	r := post(t, b.env, "/oauth/v3/token/introspect", url.Values{"token": {refresh}}, []string{b.app.ClientID, b.secret})
	if r.status != http.StatusOK || r.body["active"] != live {
		t.Errorf("introspection: %d %s, want active %v", r.status, r.raw, live)
	}
}

// TestRefreshPolicySettings: the policy is kept with the app, public apps
// always rotate, and lifetimes below a minute are refused.
func TestRefreshPolicySettings(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	ctx := context.Background()
	pub, _ := env.App(t, oauth.AppInput{Name: "Public", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}, Public: true})
	conf, _ := env.App(t, oauth.AppInput{Name: "Confidential", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
	if !pub.RefreshTokenRotation || conf.RefreshTokenRotation {
		t.Errorf("rotation: public %v, confidential %v; want true, false", pub.RefreshTokenRotation, conf.RefreshTokenRotation)
	}
	off, short, day := false, 30*time.Second, 24*time.Hour
	for name, in := range map[string]oauth.AppInput{
		"public without rotation": {RefreshTokenRotation: &off},
		"idle below a minute":     {RefreshTokenIdleTTL: &short},
		"absolute below zero":     {RefreshTokenAbsoluteTTL: func() *time.Duration { d := -day; return &d }()},
	} {
		base := oauth.InputOf(pub)
		base.RefreshTokenRotation, base.RefreshTokenIdleTTL, base.RefreshTokenAbsoluteTTL = in.RefreshTokenRotation, in.RefreshTokenIdleTTL, in.RefreshTokenAbsoluteTTL
		if _, err := env.Hub.Apps.Update(ctx, pub.ClientID, base); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	on := true
	in := oauth.InputOf(conf)
	in.RefreshTokenRotation, in.RefreshTokenIdleTTL = &on, &day
	got, err := env.Hub.Apps.Update(ctx, conf.ClientID, in)
	if err != nil || !got.RefreshTokenRotation || got.RefreshTokenIdleTTL != day || got.RefreshTokenAbsoluteTTL != 0 {
		t.Fatalf("update: %+v, %v", got, err)
	}
	// A later update that names nothing of the policy keeps it.
	got, err = env.Hub.Apps.Update(ctx, conf.ClientID, oauth.InputOf(got))
	if err != nil || !got.RefreshTokenRotation || got.RefreshTokenIdleTTL != day {
		t.Fatalf("update without the policy changed it: %+v, %v", got, err)
	}
}

// rotatingApp registers an app whose refresh tokens rotate, public or
// confidential by choice, and returns b for that app.
func rotatingApp(t *testing.T, b *bundle, public bool) *bundle {
	t.Helper()
	on := true
	in := oauth.AppInput{Name: "Rotating app", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}, Public: public}
	if !public {
		in.RefreshTokenRotation = &on
	}
	r := *b
	r.app, r.secret = b.env.App(t, in)
	r.conf = r.oauth2Config(r.app, r.secret)
	return &r
}

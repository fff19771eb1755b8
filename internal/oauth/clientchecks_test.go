package oauth_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// TestIntrospectionOfAnotherAppsToken: a confidential app that introspects
// a token issued to another app learns nothing of it, not even that it is
// live (RFC 7662 §4); the app the token was issued to still sees it whole.
func TestIntrospectionOfAnotherAppsToken(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			b.env.User(t, "ann@example.com", identity.RoleMember, nil)
			tk := b.connect(t, "ann@example.com")
			other, otherSecret := b.env.App(t, oauth.AppInput{Name: "Other app", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
			for _, tok := range []struct{ name, value, hint string }{{"access", tk.access, ""}, {"refresh", tk.refresh, "refresh_token"}} {
				form := url.Values{"token": {tok.value}, "token_type_hint": {tok.hint}}
				r := post(t, b.env, "/oauth/v3/token/introspect", form, []string{other.ClientID, otherSecret})
				if r.status != http.StatusOK || r.body["active"] != false || len(r.body) != 1 {
					t.Errorf("another app introspecting the %s token: %d %s, want {\"active\":false}", tok.name, r.status, r.raw)
				}
				r = post(t, b.env, "/oauth/v3/token/introspect", form, []string{b.app.ClientID, b.secret})
				if r.status != http.StatusOK || r.body["active"] != true || r.str("username") != "ann@example.com" {
					t.Errorf("the token's own app introspecting its %s token: %d %s", tok.name, r.status, r.raw)
				}
			}
		})
	}
}

// TestIntrospectionAndRevocationAreRateLimited: client secrets checked by
// introspection and revocation spend the same per-client tries as the
// token endpoint, so guessing moves nowhere faster; other clients are not
// affected. The limit here allows one try per 1,000 seconds.
func TestIntrospectionAndRevocationAreRateLimited(t *testing.T) {
	t.Parallel()
	env := hubtest.New(t, hubtest.SQLite, func(c *config.Config) { c.TokenRate = 0.001 })
	app := func(name string) []string {
		a, _ := env.App(t, oauth.AppInput{Name: name, RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
		return []string{a.ClientID, "guess"}
	}
	introspect := func(creds []string) reply {
		return post(t, env, "/oauth/v3/token/introspect", url.Values{"token": {"ory_at_guess.guess"}}, creds)
	}
	revoke := func(creds []string) reply {
		return post(t, env, "/oauth/v3/token/revoke", url.Values{"token": {"ory_rt_guess.guess"}}, creds)
	}
	for _, tc := range []struct {
		name        string
		first, then func([]string) reply
	}{
		{"introspection", introspect, introspect},
		{"revocation", revoke, revoke},
		{"introspection then revocation", introspect, revoke},
	} {
		creds := app(tc.name)
		if r := tc.first(creds); r.status != http.StatusUnauthorized {
			t.Fatalf("%s: first wrong secret: %d %s, want 401", tc.name, r.status, r.raw)
		}
		r := tc.then(creds)
		wantTokenError(t, r, http.StatusTooManyRequests, "slow_down", "RATE_LIMITS")
		if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 {
			t.Errorf("%s: Retry-After %q, want whole seconds", tc.name, r.header.Get("Retry-After"))
		}
	}
	if r := introspect(app("untouched")); r.status != http.StatusUnauthorized {
		t.Errorf("another client's first try: %d %s, want 401", r.status, r.raw)
	}
}

// TestClientTriesCountHoweverTheIDIsSpelled: HTTP Basic client
// credentials are form-encoded (RFC 6749 §2.3.1), so one client id has many
// spellings ("%61" is "a"). The token endpoint counts tries per client, not
// per spelling, or each spelling would bring a fresh set of tries.
func TestClientTriesCountHoweverTheIDIsSpelled(t *testing.T) {
	t.Parallel()
	env := hubtest.New(t, hubtest.SQLite, func(c *config.Config) { c.TokenRate = 0.001 })
	app, _ := env.App(t, oauth.AppInput{Name: "Guessed", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"ory_rt_guess.guess"}}
	spellings := []string{app.ClientID, fmt.Sprintf("%%%02X%s", app.ClientID[0], app.ClientID[1:]),
		fmt.Sprintf("%s%%%02X", app.ClientID[:len(app.ClientID)-1], app.ClientID[len(app.ClientID)-1])}
	for i, id := range spellings {
		req, err := http.NewRequest(http.MethodPost, env.URL+"/oauth/v1/token", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":guess")))
		resp, err := env.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusTooManyRequests
		if i == 0 {
			want = http.StatusUnauthorized
		}
		if resp.StatusCode != want {
			t.Errorf("try %d, client id spelled %s: %d, want %d", i+1, id, resp.StatusCode, want)
		}
	}
}

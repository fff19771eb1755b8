package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// TestTokenEndpointRefusesBadRequests sends authorization_code requests
// each wrong in one way, each with a fresh code: every one is refused with
// the RFC error and HubSpot's fields, and no token is stored.
func TestTokenEndpointRefusesBadRequests(t *testing.T) {
	type env struct {
		b     *bundle
		other store.App // a second app, with its secret in otherSecret
		otherSecret,
		code string
	}
	set := func(k, v string) func(url.Values, env) {
		return func(f url.Values, _ env) { f.Set(k, v) }
	}
	twice := func(k string) func(url.Values, env) {
		return func(f url.Values, _ env) { f[k] = []string{f.Get(k), f.Get(k)} }
	}
	del := func(k string) func(url.Values, env) {
		return func(f url.Values, _ env) { f.Del(k) }
	}
	cases := []struct {
		name string
		// change makes the correct form wrong.
		change func(url.Values, env)
		// basic moves the client credentials into HTTP Basic.
		basic bool
		// before runs on the code before the request.
		before func(*testing.T, env)
		// statuses are the HTTP statuses RFC 6749 allows; the first is
		// also the only one when there is one.
		statuses       []int
		error, hubspot string
		words          []string
	}{
		{name: "correct request (control)", statuses: []int{http.StatusOK}},
		{name: "correct request, credentials in Basic (control)", basic: true, statuses: []int{http.StatusOK}},

		{name: "missing code", change: del("code"), statuses: []int{400}, error: "invalid_request", words: []string{"code", "missing"}},
		{name: "missing grant_type", change: del("grant_type"), statuses: []int{400}, error: "invalid_request", words: []string{"grant_type"}},
		{name: "code given twice", change: twice("code"), statuses: []int{400}, error: "invalid_request", words: []string{"code"}},
		{name: "client_secret given twice", change: twice("client_secret"), statuses: []int{400}, error: "invalid_request", words: []string{"client_secret"}},
		{name: "redirect_uri given twice", change: twice("redirect_uri"), statuses: []int{400}, error: "invalid_request", words: []string{"redirect_uri"}},

		{name: "grant_type password", change: set("grant_type", "password"), statuses: []int{400},
			error: "unsupported_grant_type", hubspot: "BAD_GRANT_TYPE"},
		{name: "grant_type client_credentials", change: set("grant_type", "client_credentials"), statuses: []int{400},
			error: "unsupported_grant_type", hubspot: "BAD_GRANT_TYPE"},

		{name: "wrong client secret", change: set("client_secret", "not-the-secret"), statuses: []int{401, 400}, error: "invalid_client"},
		{name: "wrong client secret in Basic", basic: true, change: set("client_secret", "not-the-secret"), statuses: []int{401}, error: "invalid_client"},
		{name: "missing client secret", change: del("client_secret"), statuses: []int{401, 400}, error: "invalid_client"},
		{name: "unknown client", change: set("client_id", uuid.NewString()), statuses: []int{401, 400}, error: "invalid_client", hubspot: "BAD_CLIENT_ID"},
		{name: "another app's credentials", statuses: []int{400}, error: "invalid_grant", hubspot: "BAD_AUTH_CODE",
			change: func(f url.Values, e env) { f.Set("client_id", e.other.ClientID); f.Set("client_secret", e.otherSecret) }},

		{name: "redirect_uri not the authorize one", change: set("redirect_uri", appCallback+"/other"), statuses: []int{400},
			error: "invalid_grant", hubspot: "BAD_REDIRECT_URI", words: []string{"redirect_uri"}},
		{name: "redirect_uri missing", change: del("redirect_uri"), statuses: []int{400},
			error: "invalid_grant", hubspot: "BAD_REDIRECT_URI", words: []string{"redirect_uri"}},

		{name: "wrong code_verifier", change: set("code_verifier", oauth2.GenerateVerifier()), statuses: []int{400},
			error: "invalid_grant", words: []string{"verifier"}},
		{name: "missing code_verifier", change: del("code_verifier"), statuses: []int{400},
			error: "invalid_grant", words: []string{"verifier"}},

		{name: "unknown code", change: set("code", "ory_ac_"+strings.Repeat("A", 43)+"."+strings.Repeat("B", 43)), statuses: []int{400},
			error: "invalid_grant", hubspot: "BAD_AUTH_CODE"},
		{name: "expired code", before: func(t *testing.T, e env) { expireCode(t, e.b.env, e.code) }, statuses: []int{400},
			error: "invalid_grant", hubspot: "BAD_AUTH_CODE", words: []string{"expired"}},
	}
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			const email = "tess@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			e := env{b: b}
			e.other, e.otherSecret = b.env.App(t, oauth.AppInput{Name: "Other app", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					code, verifier := b.code(t, email)
					e.code = code
					if tc.before != nil {
						tc.before(t, e)
					}
					form := b.exchangeForm(code, verifier)
					if tc.change != nil {
						tc.change(form, e)
					}
					var basic []string
					if tc.basic {
						basic = []string{form.Get("client_id"), form.Get("client_secret")}
						form.Del("client_id")
						form.Del("client_secret")
					}
					issued := b.env.CountTokens(t, store.TokenAccess, store.TokenRefresh)
					r := post(t, b.env, "/oauth/v1/token", form, basic)
					if tc.statuses[0] == http.StatusOK {
						mustTokens(t, r)
						return
					}
					if !slices.Contains(tc.statuses, r.status) {
						t.Errorf("status %d, want one of %v", r.status, tc.statuses)
					}
					wantTokenError(t, r, r.status, tc.error, tc.hubspot, tc.words...)
					if r.status == http.StatusUnauthorized && tc.basic && r.header.Get("WWW-Authenticate") == "" {
						t.Errorf("401 to a client using HTTP Basic lacks WWW-Authenticate (RFC 6749 §5.2)")
					}
					if n := b.env.CountTokens(t, store.TokenAccess, store.TokenRefresh); n != issued {
						t.Errorf("a refused request stored %d tokens", n-issued)
					}
				})
			}
		})
	}
}

// expireCode moves a stored code's expiry into the past. The hub has no
// clock to advance from outside, so the test edits the stored record
// through the store: both the row's expiry and the expiry in the stored
// fosite session, which is what fosite checks.
func expireCode(t *testing.T, env *hubtest.Env, code string) {
	t.Helper()
	ctx := context.Background()
	sig := code[strings.LastIndex(code, ".")+1:]
	past := time.Now().Add(-time.Minute).UTC()
	err := env.Hub.Store.Update(ctx, func(tx store.Tx) error {
		tok, err := tx.Token(ctx, store.TokenCode, sig)
		if err != nil {
			return err
		}
		var req map[string]any
		if err := json.Unmarshal(tok.Request, &req); err != nil {
			return err
		}
		session, _ := req["session"].(map[string]any)
		exp, _ := session["expires_at"].(map[string]any)
		if exp == nil || exp["authorize_code"] == nil {
			t.Fatalf("stored code request has no session expiry: %s", tok.Request)
		}
		exp["authorize_code"] = past
		if tok.Request, err = json.Marshal(req); err != nil {
			return err
		}
		tok.ExpiresAt = past
		if err := tx.DeleteToken(ctx, store.TokenCode, sig); err != nil {
			return err
		}
		return tx.CreateToken(ctx, tok)
	})
	if err != nil {
		t.Fatalf("expire code: %v", err)
	}
}

// TestTokenEndpointRateLimitsPerClient floods the token endpoint as one
// client until it is refused with 429 and Retry-After; the same client is
// still refused through HTTP Basic, and another client is not. The limiter
// is in memory, so one backend is enough.
func TestTokenEndpointRateLimitsPerClient(t *testing.T) {
	t.Parallel()
	b := setup(t, hubtest.SQLite)
	other, otherSecret := b.env.App(t, oauth.AppInput{Name: "Other app", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
	attempt := func(clientID, secret string, basic bool) reply {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"ory_rt_guess.guess"}}
		if basic {
			return post(t, b.env, "/oauth/v1/token", form, []string{clientID, secret})
		}
		form.Set("client_id", clientID)
		form.Set("client_secret", secret)
		return post(t, b.env, "/oauth/v1/token", form, nil)
	}
	var limited reply
	tries := 0
	for tries = 1; tries <= 1000; tries++ {
		if r := attempt(b.app.ClientID, "guess", false); r.status == http.StatusTooManyRequests {
			limited = r
			break
		}
	}
	if limited.status != http.StatusTooManyRequests {
		t.Fatalf("1000 token requests by one client in a row were never limited")
	}
	if tries == 1 {
		t.Fatalf("the first token request was already limited")
	}
	// Ask again at once, as the same client through HTTP Basic: one token
	// refills in tens of milliseconds, far longer than a loopback request.
	viaBasic := attempt(b.app.ClientID, "guess", true)
	if secs, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("429 Retry-After %q, want whole seconds", limited.header.Get("Retry-After"))
	}
	// RFC 6749 names no error for this; any code will do, with every field.
	wantTokenError(t, limited, http.StatusTooManyRequests, limited.str("error"), "RATE_LIMITS")
	if viaBasic.status != http.StatusTooManyRequests {
		t.Errorf("the limited client, now authenticating with HTTP Basic, got %d, want 429", viaBasic.status)
	}
	if r := attempt(other.ClientID, otherSecret, false); r.status == http.StatusTooManyRequests {
		t.Errorf("another client was limited too: %s", r.raw)
	} else {
		wantTokenError(t, r, http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN")
	}
	t.Logf("limited after %d requests", tries)
}

// TestClientCredentialsInBodyOrBasic runs the code exchange and a refresh
// with golang.org/x/oauth2 sending the client credentials each way.
func TestClientCredentialsInBodyOrBasic(t *testing.T) {
	for _, backend := range hubtest.Backends {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInParams, oauth2.AuthStyleInHeader} {
			name := map[oauth2.AuthStyle]string{oauth2.AuthStyleInParams: "body", oauth2.AuthStyleInHeader: "basic"}[style]
			t.Run(name+"/"+string(backend), func(t *testing.T) {
				t.Parallel()
				b := setup(t, backend)
				const email = "cred@example.com"
				b.env.User(t, email, identity.RoleMember, nil)
				conf := b.oauth2Config(b.app, b.secret)
				conf.Endpoint.AuthStyle = style
				code, verifier := b.code(t, email)
				tok, err := conf.Exchange(b.ctx, code, oauth2.VerifierOption(verifier))
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				tok.Expiry = time.Now().Add(-time.Minute)
				fresh, err := conf.TokenSource(b.ctx, tok).Token()
				if err != nil {
					t.Fatalf("refresh: %v", err)
				}
				if fresh.AccessToken == tok.AccessToken {
					t.Fatalf("refresh returned the same access token")
				}
				wantAPI(t, b.api(t, "contacts", fresh.AccessToken), http.StatusOK, "")

				wrong := b.oauth2Config(b.app, "not-the-secret")
				wrong.Endpoint.AuthStyle = style
				code, verifier = b.code(t, email)
				_, err = wrong.Exchange(b.ctx, code, oauth2.VerifierOption(verifier))
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
					t.Errorf("exchange with a wrong secret: %v, want invalid_client", err)
				}
			})
		}
	}
}

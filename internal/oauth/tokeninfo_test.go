package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// TestTokenInformation reads both tokens back in HubSpot's shapes, and
// checks the token response's HubSpot fields against the same facts.
func TestTokenInformation(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			const email = "ina@example.com"
			user := b.env.User(t, email, identity.RoleMember, nil)
			acct, err := b.env.Hub.Identity.Account(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tk := b.connect(t, email)
			hubID, userID, scopes := float64(acct.HubID), float64(user.ID), []string{contactsRead, dealsRead}
			want := map[string]any{"hub_id": hubID, "user_id": userID, "token_type": "bearer"}
			for k, v := range want {
				if tk.body[k] != v {
					t.Errorf("token response %s = %v, want %v", k, tk.body[k], v)
				}
			}
			wantScopes(t, "token response", tk.body["scopes"], scopes)
			if e, _ := tk.body["expires_in"].(float64); e < 1790 || e > 1800 {
				t.Errorf("token response expires_in = %v, want 1800", tk.body["expires_in"])
			}

			r := b.env.Do(t, http.MethodGet, "/oauth/v1/access-tokens/"+tk.access, "", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("access token information: %d %s", r.Status, r.Body)
			}
			info := r.JSON(t)
			for k, v := range map[string]any{"token": tk.access, "user": email, "hub_id": hubID, "user_id": userID,
				"token_type": "access", "app_id": float64(b.app.ID)} {
				if info[k] != v {
					t.Errorf("access token %s = %v, want %v", k, info[k], v)
				}
			}
			wantScopes(t, "access token", info["scopes"], scopes)
			if e, _ := info["expires_in"].(float64); e < 1700 || e > 1800 {
				t.Errorf("access token expires_in = %v, want about 1800", info["expires_in"])
			}

			r = b.env.Do(t, http.MethodGet, "/oauth/v1/refresh-tokens/"+tk.refresh, "", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("refresh token information: %d %s", r.Status, r.Body)
			}
			info = r.JSON(t)
			for k, v := range map[string]any{"token": tk.refresh, "user": email, "hub_id": hubID, "user_id": userID,
				"token_type": "refresh", "client_id": b.app.ClientID} {
				if info[k] != v {
					t.Errorf("refresh token %s = %v, want %v", k, info[k], v)
				}
			}
			wantScopes(t, "refresh token", info["scopes"], scopes)

			for _, path := range []string{
				"/oauth/v1/access-tokens/" + tk.refresh,
				"/oauth/v1/refresh-tokens/" + tk.access,
				"/oauth/v1/access-tokens/ory_at_" + strings.Repeat("A", 43) + "." + strings.Repeat("B", 43),
				"/oauth/v1/refresh-tokens/not-a-token",
			} {
				if r := b.env.Do(t, http.MethodGet, path, "", nil); r.Status != http.StatusNotFound {
					t.Errorf("GET %s: %d, want 404\n%s", path[:30], r.Status, r.Body)
				}
			}
		})
	}
}

func wantScopes(t *testing.T, what string, got any, want []string) {
	t.Helper()
	list, _ := got.([]any)
	var have []string
	for _, s := range list {
		str, _ := s.(string)
		have = append(have, str)
	}
	slices.Sort(have)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(have, want) {
		t.Errorf("%s scopes = %v, want %v", what, got, want)
	}
}

// TestDeleteRefreshTokenEndsTheGrant: DELETE of a refresh token answers
// 204 and every token of its grant stops working.
func TestDeleteRefreshTokenEndsTheGrant(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			const email = "del@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			tk := b.connect(t, email)
			r := b.env.Do(t, http.MethodDelete, "/oauth/v1/refresh-tokens/"+tk.refresh, "", nil)
			if r.Status != http.StatusNoContent || len(r.Body) != 0 {
				t.Fatalf("DELETE refresh token: %d %s, want 204 and no body", r.Status, r.Body)
			}
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
			wantTokenError(t, b.refresh(t, tk.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN")
			if r := b.env.Do(t, http.MethodGet, "/oauth/v1/refresh-tokens/"+tk.refresh, "", nil); r.Status != http.StatusNotFound {
				t.Errorf("information on a deleted refresh token: %d, want 404", r.Status)
			}
			if r := b.env.Do(t, http.MethodGet, "/oauth/v1/access-tokens/"+tk.access, "", nil); r.Status == http.StatusOK {
				t.Errorf("information on an access token of a deleted grant: 200 %s", r.Body)
			}
			if r := b.env.Do(t, http.MethodDelete, "/oauth/v1/refresh-tokens/"+tk.refresh, "", nil); r.Status != http.StatusNotFound {
				t.Errorf("second DELETE: %d, want 404", r.Status)
			}
			if g := grantOf(t, b.env, b.app.ID, email); g.Active {
				t.Errorf("grant still active after its refresh token was deleted")
			}
		})
	}
}

// TestIntrospection: RFC 7662 introspection needs client authentication
// and gives the hub's live view of a token.
func TestIntrospection(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			ctx := context.Background()
			b.env.User(t, "ann@example.com", identity.RoleMember, nil)
			b.env.User(t, "rem@example.com", identity.RoleMember, nil)
			ann, rem := b.connect(t, "ann@example.com"), b.connect(t, "rem@example.com")
			creds := []string{b.app.ClientID, b.secret}
			introspect := func(token, hint string, basic []string) reply {
				t.Helper()
				form := url.Values{"token": {token}}
				if hint != "" {
					form.Set("token_type_hint", hint)
				}
				return post(t, b.env, "/oauth/v3/token/introspect", form, basic)
			}

			for name, basic := range map[string][]string{"no client authentication": nil, "wrong secret": {b.app.ClientID, "guess"}} {
				if r := introspect(ann.access, "", basic); r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" || r.body["active"] != nil {
					t.Errorf("introspection with %s: %d %s, want 401 invalid_client", name, r.status, r.raw)
				}
			}

			r := introspect(ann.access, "", creds)
			if r.status != http.StatusOK || r.body["active"] != true {
				t.Fatalf("introspect a live access token: %d %s", r.status, r.raw)
			}
			if r.str("client_id") != b.app.ClientID {
				t.Errorf("client_id = %v, want %s", r.body["client_id"], b.app.ClientID)
			}
			wantScopes(t, "introspection", toAny(strings.Fields(r.str("scope"))), []string{contactsRead, dealsRead})
			if exp, _ := r.body["exp"].(float64); time.Until(time.Unix(int64(exp), 0)) < 29*time.Minute || time.Until(time.Unix(int64(exp), 0)) > 31*time.Minute {
				t.Errorf("exp = %v, want about 30 minutes from now", r.body["exp"])
			}
			// Client credentials in the body work too.
			form := url.Values{"token": {ann.refresh}, "token_type_hint": {"refresh_token"}, "client_id": {b.app.ClientID}, "client_secret": {b.secret}}
			if r := post(t, b.env, "/oauth/v3/token/introspect", form, nil); r.status != http.StatusOK || r.body["active"] != true {
				t.Errorf("introspect a live refresh token (credentials in the body): %d %s", r.status, r.raw)
			}
			if r := introspect("ory_at_nothing.nothing", "", creds); r.status != http.StatusOK || r.body["active"] != false {
				t.Errorf("introspect an unknown token: %d %s, want active false", r.status, r.raw)
			}

			// The live view: the scope shrinks with the user's permissions.
			if _, err := b.env.Hub.Identity.UpdateUser(ctx, "ann@example.com", identity.UserChanges{Permissions: map[string]string{"deals": "none"}}); err != nil {
				t.Fatal(err)
			}
			if r := introspect(ann.access, "", creds); strings.Contains(r.str("scope"), dealsRead) {
				t.Errorf("introspection scope %q still holds %s after the user lost deals", r.str("scope"), dealsRead)
			}

			if r := post(t, b.env, "/oauth/v3/token/revoke", url.Values{"token": {ann.refresh}, "token_type_hint": {"refresh_token"}}, creds); r.status != http.StatusOK {
				t.Fatalf("revoke: %d %s", r.status, r.raw)
			}
			if _, err := b.env.Hub.Identity.Remove(ctx, "rem@example.com"); err != nil {
				t.Fatal(err)
			}
			for name, tok := range map[string]string{"revoked access": ann.access, "revoked refresh": ann.refresh,
				"removed user's access": rem.access, "removed user's refresh": rem.refresh} {
				if r := introspect(tok, "", creds); r.status != http.StatusOK || r.body["active"] != false || len(r.body) != 1 {
					t.Errorf("introspect %s token: %d %s, want {\"active\":false}", name, r.status, r.raw)
				}
			}
		})
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TestRevocation: RFC 7009 revocation of a refresh token ends its grant; of
// an access token, that token. Only the authenticated client may revoke.
func TestRevocation(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			const email = "rev@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			creds := []string{b.app.ClientID, b.secret}
			revoke := func(token, hint string, basic []string) reply {
				t.Helper()
				form := url.Values{"token": {token}}
				if hint != "" {
					form.Set("token_type_hint", hint)
				}
				return post(t, b.env, "/oauth/v3/token/revoke", form, basic)
			}
			tk := b.connect(t, email)

			if r := revoke(tk.refresh, "refresh_token", nil); r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" {
				t.Errorf("revoke without client authentication: %d %s, want 401 invalid_client", r.status, r.raw)
			}
			other, otherSecret := b.env.App(t, oauth.AppInput{Name: "Other app", RedirectURIs: []string{appCallback}, Scopes: []string{contactsRead}})
			revoke(tk.refresh, "refresh_token", []string{other.ClientID, otherSecret})
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusOK, "")

			if r := revoke("ory_rt_nothing.nothing", "refresh_token", creds); r.status != http.StatusOK {
				t.Errorf("revoke an unknown token: %d %s, want 200 (RFC 7009 §2.2)", r.status, r.raw)
			}

			if r := revoke(tk.access, "access_token", creds); r.status != http.StatusOK {
				t.Fatalf("revoke the access token: %d %s", r.status, r.raw)
			}
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusUnauthorized, "INVALID_AUTHENTICATION")

			tk = b.connect(t, email)
			if r := revoke(tk.refresh, "", creds); r.status != http.StatusOK {
				t.Fatalf("revoke the refresh token: %d %s", r.status, r.raw)
			}
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
			wantTokenError(t, b.refresh(t, tk.refresh), http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN")
			grants, err := b.env.Hub.Grants.List(context.Background(), 0, b.app.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range grants {
				if g.Active {
					t.Errorf("grant %s still active after its refresh token was revoked", g.ID)
				}
			}
		})
	}
}

// TestMetadata: the RFC 8414 document names the hub as issuer and points at
// endpoints that answer.
func TestMetadata(t *testing.T) {
	t.Parallel()
	env := hubtest.New(t, hubtest.SQLite)
	r := env.Do(t, http.MethodGet, "/.well-known/oauth-authorization-server", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("metadata: %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	for k, v := range map[string]string{"issuer": env.URL, "authorization_endpoint": env.URL + "/oauth/authorize",
		"token_endpoint": env.URL + "/oauth/v1/token", "introspection_endpoint": env.URL + "/oauth/v3/token/introspect",
		"revocation_endpoint": env.URL + "/oauth/v3/token/revoke"} {
		if m[k] != v {
			t.Errorf("%s = %v, want %s", k, m[k], v)
		}
	}
	has := func(key, value string) bool {
		list, _ := m[key].([]any)
		return slices.Contains(list, any(value))
	}
	for key, values := range map[string][]string{"response_types_supported": {"code"}, "grant_types_supported": {"authorization_code", "refresh_token"},
		"code_challenge_methods_supported": {"S256"}, "scopes_supported": oauth.Scopes} {
		for _, v := range values {
			if !has(key, v) {
				t.Errorf("%s lacks %s: %v", key, v, m[key])
			}
		}
	}
	if has("code_challenge_methods_supported", "plain") {
		t.Errorf("metadata offers the plain PKCE method")
	}
	for _, k := range []string{"token_endpoint", "introspection_endpoint", "revocation_endpoint"} {
		u, _ := m[k].(string)
		if r := post(t, env, strings.TrimPrefix(u, env.URL), url.Values{"x": {"y"}}, nil); r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
			t.Errorf("%s %s does not answer POST: %d", k, u, r.status)
		}
	}
}

// TestAccessTokensKeepTheirExpiry: however an access token was issued (code
// with PKCE, code without, refresh), the hub knows when it expires: token
// information says about 1800 s and introspection gives exp. A token stored
// without an expiry would never expire for API calls.
func TestAccessTokensKeepTheirExpiry(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			const email = "exp@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			check := func(name, access string) {
				t.Helper()
				r := b.env.Do(t, http.MethodGet, "/oauth/v1/access-tokens/"+access, "", nil)
				if e, _ := r.JSON(t)["expires_in"].(float64); r.Status != http.StatusOK || e < 1700 || e > 1800 {
					t.Errorf("%s: token information expires_in = %v (status %d), want about 1800", name, r.JSON(t)["expires_in"], r.Status)
				}
				ri := post(t, b.env, "/oauth/v3/token/introspect", url.Values{"token": {access}}, []string{b.app.ClientID, b.secret})
				if exp, _ := ri.body["exp"].(float64); time.Until(time.Unix(int64(exp), 0)) < 29*time.Minute {
					t.Errorf("%s: introspection exp = %v, want about 30 minutes from now", name, ri.body["exp"])
				}
			}
			check("code with PKCE", b.connect(t, email).access)
			back := b.env.Browser().Consent(t, b.conf.AuthCodeURL("state-12345678"), email)
			form := b.exchangeForm(back.Query().Get("code"), "")
			form.Del("code_verifier")
			withoutPKCE := mustTokens(t, post(t, b.env, "/oauth/v1/token", form, nil))
			check("code without PKCE", withoutPKCE.access)
			// A refresh retires the access token issued before it.
			check("refresh", mustTokens(t, b.refresh(t, withoutPKCE.refresh)).access)
		})
	}
}

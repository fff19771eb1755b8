package hubspot_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
)

// These tests answer the connector from an httptest server with what real
// HubSpot or a failing network puts on the wire (HUBSPOT-API.md), for the
// answers a running hubsync never gives.

const (
	fakeAccess  = "CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4"
	fakeRefresh = "6f18f21e-a743-4509-b7fd-1a5e632fffa1-refresh"
	fakeSecret  = "7c3ce02c-0f0c-4c60-9d2d-fake-client-secret"
	fakeAPIKey  = "pat-na1-11111111-2222-3333-4444-555555555555"
)

var fakeSecrets = []string{fakeAccess, fakeRefresh, fakeSecret, fakeAPIKey}

// fake serves h and returns a target pointing every endpoint at it.
func fake(t *testing.T, h http.HandlerFunc) connector.Target {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	settings := hubspot.Settings(srv.URL)
	settings[hubspot.SettingClientID] = "client-id"
	settings[hubspot.SettingScopes] = "crm.objects.contacts.read crm.objects.contacts.write"
	return connector.Target{AuthKind: hubspot.AuthOAuth2, Settings: settings, Secret: fakeSecret, Objects: []string{"contacts"}}
}

var fakeCred = connector.Credential{AccessToken: fakeAccess, RefreshToken: fakeRefresh}

// calls are every connector call that reaches the external side.
var calls = map[string]func(c *hubspot.Connector, t connector.Target) error{
	"check": func(c *hubspot.Connector, t connector.Target) error {
		_, err := c.Check(context.Background(), t, fakeCred)
		return err
	},
	"check private app": func(c *hubspot.Connector, t connector.Target) error {
		t.AuthKind = hubspot.AuthPrivateApp
		_, err := c.Check(context.Background(), t, connector.Credential{APIKey: fakeAPIKey})
		return err
	},
	"exchange": func(c *hubspot.Connector, t connector.Target) error {
		_, err := c.Exchange(context.Background(), t, "code-"+fakeRefresh, "verifier-"+fakeAccess, "https://hub.example.com/cb")
		return err
	},
	"refresh": func(c *hubspot.Connector, t connector.Target) error {
		_, err := c.Refresh(context.Background(), t, fakeCred)
		return err
	},
	"check grant": func(c *hubspot.Connector, t connector.Target) error {
		return c.CheckGrant(context.Background(), t, fakeCred)
	},
	"revoke": func(c *hubspot.Connector, t connector.Target) error {
		return c.Revoke(context.Background(), t, fakeCred)
	},
	"check registration": func(c *hubspot.Connector, t connector.Target) error {
		return c.CheckRegistration(context.Background(), t, fakeCred)
	},
}

func TestTransientAnswers(t *testing.T) {
	t.Parallel()
	// The date is written when the answer is, 30 s ahead: a busy machine
	// may take long between cases, but not between an answer and its parse.
	const retryAt = "<an HTTP date 30 s ahead>"
	cases := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		reason  string
		wait    time.Duration // RetryAfter, to the second
		anyWait bool          // an HTTP date: whole seconds
	}{
		{name: "503", status: 503, body: `<html>Service Unavailable</html>`, reason: connector.ReasonUnreachable},
		{name: "500 JSON", status: 500, body: `{"status":"error","message":"internal error","correlationId":"x"}`, reason: connector.ReasonUnreachable},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, reason: connector.ReasonRateLimited, wait: 7 * time.Second,
			body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","category":"RATE_LIMITS","correlationId":"x"}`},
		{name: "429 HTTP date", status: 429, header: map[string]string{"Retry-After": retryAt}, reason: connector.ReasonRateLimited,
			wait: 30 * time.Second, anyWait: true, body: `{"status":"error","category":"RATE_LIMITS"}`},
		{name: "429 without Retry-After", status: 429, body: `{"status":"error","category":"RATE_LIMITS"}`, reason: connector.ReasonRateLimited},
		{name: "HTML 400 from a proxy", status: 400, body: `<html>Bad Request</html>`, reason: connector.ReasonUnreachable},
		{name: "HTML 404 from a proxy", status: 404, body: `<html>Not Found</html>`, reason: connector.ReasonUnreachable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := fake(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					if v == retryAt {
						v = time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
					}
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			// A proxy's HTML 400 says nothing of the grant: even a revoke,
			// for which a JSON 400 means the grant is gone, tries again.
			for name, call := range calls {
				err := call(hubspot.New(nil), target)
				e := wantError(t, err, tc.reason, false, fakeSecrets)
				diff := e.RetryAfter - tc.wait
				if diff != 0 && !(tc.anyWait && diff.Abs() <= time.Second) {
					t.Errorf("%s: RetryAfter %v, want %v", name, e.RetryAfter, tc.wait)
				}
			}
		})
	}
}

// TestTokenEndpointAnswers classifies refusals of the token endpoint in
// HubSpot's shape (status and message, with or without RFC 6749's fields)
// and in plain RFC 6749 shape.
func TestTokenEndpointAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		status   int
		body     string
		reason   string
		definite bool
		words    []string
	}{
		{name: "HubSpot BAD_REFRESH_TOKEN", status: 400, reason: connector.ReasonTokenExpired, definite: true, words: []string{"missing or unknown refresh token"},
			body: `{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token","correlationId":"a","requestId":"b"}`},
		{name: "HubSpot BAD_REFRESH_TOKEN with RFC fields", status: 400, reason: connector.ReasonTokenExpired, definite: true,
			body: `{"error":"invalid_grant","error_description":"missing or invalid refresh token","status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token"}`},
		{name: "HubSpot BAD_CLIENT_ID", status: 400, reason: connector.ReasonAppConfig, definite: true,
			body: `{"status":"BAD_CLIENT_ID","message":"missing or unknown client id","correlationId":"a"}`},
		{name: "HubSpot BAD_CLIENT_SECRET", status: 400, reason: connector.ReasonAppConfig, definite: true,
			body: `{"status":"BAD_CLIENT_SECRET","message":"client secret is incorrect","correlationId":"a"}`},
		{name: "RFC invalid_client 401", status: 401, reason: connector.ReasonAppConfig, definite: true, body: `{"error":"invalid_client"}`},
		{name: "RFC revoked grant", status: 400, reason: connector.ReasonConsentRevoked, definite: true, words: []string{"uninstalled"},
			body: `{"error":"invalid_grant","error_description":"The app was uninstalled from the account."}`},
		{name: "RFC invalid_grant, nothing said", status: 400, reason: connector.ReasonTokenExpired, definite: true, body: `{"error":"invalid_grant"}`},
		{name: "fosite's generic invalid_grant alone", status: 400, reason: connector.ReasonTokenExpired, definite: true,
			body: `{"error":"invalid_grant","error_description":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}`},
		{name: "invalid_request", status: 400, reason: connector.ReasonUnreachable, body: `{"error":"invalid_request","error_description":"The request is missing a required parameter."}`},
		{name: "200 without a token", status: 200, reason: connector.ReasonUnreachable, body: `{"token_type":"bearer"}`},
		{name: "200 HTML", status: 200, reason: connector.ReasonUnreachable, body: `<html>Sign in</html>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := fake(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/oauth/v1/token" || r.PostFormValue("client_secret") != fakeSecret {
					t.Errorf("%s %s without the client secret in the form", r.Method, r.URL.Path)
				}
				if strings.HasPrefix(tc.body, "{") {
					w.Header().Set("Content-Type", "application/json;charset=utf-8")
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			for _, name := range []string{"refresh", "exchange"} {
				wantError(t, calls[name](hubspot.New(nil), target), tc.reason, tc.definite, fakeSecrets, tc.words...)
			}
		})
	}
}

// TestAPIAnswers classifies refusals of token information and reads.
func TestAPIAnswers(t *testing.T) {
	t.Parallel()
	t.Run("401 OAuth", func(t *testing.T) {
		t.Parallel()
		target := fake(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"status":"error","message":"The OAuth token used to make this call expired 2 minute(s) ago.","category":"EXPIRED_AUTHENTICATION"}`)
		})
		wantError(t, calls["check"](hubspot.New(nil), target), connector.ReasonTokenExpired, true, fakeSecrets, "expired 2 minute")
	})
	t.Run("403 private app", func(t *testing.T) {
		t.Parallel()
		target := fake(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+fakeAPIKey || r.URL.Query().Get("limit") != "1" {
				t.Errorf("read %s without the private app token or limit=1", r.URL)
			}
			w.WriteHeader(403)
			fmt.Fprint(w, `{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","category":"MISSING_SCOPES",`+
				`"errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.contacts.read"]}}],`+
				`"context":{"requiredGranularScopes":["crm.objects.contacts.read"]}}`)
		})
		e := wantError(t, calls["check private app"](hubspot.New(nil), target), connector.ReasonScopesMissing, true, fakeSecrets, "contacts")
		if e.Detail != "contacts: crm.objects.contacts.read" {
			t.Errorf("detail %q, want the object and its required scope", e.Detail)
		}
	})
	t.Run("token information with a string hub id", func(t *testing.T) {
		t.Parallel()
		target := fake(t, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"token":"`+fakeAccess+`","user":"ada@example.com","hub_id":"62515","scopes":["crm.objects.contacts.read","crm.objects.contacts.write","oauth"],"token_type":"access"}`)
		})
		id, err := hubspot.New(nil).Check(context.Background(), target, fakeCred)
		if err != nil || id.Account != "62515" || id.User != "ada@example.com" || len(id.Scopes) != 3 {
			t.Errorf("check: %+v, %v", id, err)
		}
	})
}

// TestNoSecretInErrors makes calls fail in ways that put URLs and bodies
// into error text: a dropped connection on a URL with the token in its
// path, a timeout, and an external side that echoes the token back.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	t.Run("connection dropped", func(t *testing.T) {
		t.Parallel()
		target := fake(t, func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		for name, call := range calls {
			err := call(hubspot.New(nil), target)
			if name == "revoke" && err == nil {
				t.Errorf("revoke on a dropped connection: no error")
				continue
			}
			wantError(t, err, connector.ReasonUnreachable, false, fakeSecrets)
		}
		// The URL in the error names where the token was, not the token.
		err := calls["check"](hubspot.New(nil), target)
		if !strings.Contains(err.Error(), "/oauth/v1/access-tokens/[access token]") {
			t.Errorf("error %q does not show the call's URL with the token replaced", err)
		}
		err = calls["check grant"](hubspot.New(nil), target)
		if !strings.Contains(err.Error(), "/oauth/v1/refresh-tokens/[refresh token]") {
			t.Errorf("error %q does not show the call's URL with the token replaced", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		target := fake(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		c := hubspot.New(&http.Client{Timeout: 100 * time.Millisecond})
		for name, call := range calls {
			if name == "exchange" || name == "revoke" {
				continue // same path as refresh and check grant
			}
			wantError(t, call(c, target), connector.ReasonUnreachable, false, fakeSecrets, "in time")
		}
	})
	t.Run("unknown host", func(t *testing.T) {
		t.Parallel()
		target := fake(t, nil)
		target.Settings = hubspot.Settings("http://hubsync-connector-test.invalid")
		target.Settings[hubspot.SettingClientID] = "client-id"
		c := hubspot.New(&http.Client{Timeout: 5 * time.Second})
		for _, name := range []string{"check", "refresh"} {
			wantError(t, calls[name](c, target), connector.ReasonUnreachable, false, fakeSecrets)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		target := fake(t, nil)
		target.Settings = hubspot.Settings("http://" + addr)
		target.Settings[hubspot.SettingClientID] = "client-id"
		for _, call := range calls {
			wantError(t, call(hubspot.New(nil), target), connector.ReasonUnreachable, false, fakeSecrets)
		}
	})
	t.Run("echoed back", func(t *testing.T) {
		t.Parallel()
		target := fake(t, func(w http.ResponseWriter, r *http.Request) {
			echo := strings.Join([]string{r.URL.Path, r.Header.Get("Authorization"), r.PostFormValue("refresh_token"),
				r.PostFormValue("client_secret"), r.PostFormValue("code")}, " ")
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/oauth/v1/token":
				w.WriteHeader(400)
				fmt.Fprintf(w, `{"error":"invalid_grant","error_description":%q}`, "bad: "+echo)
			default:
				w.WriteHeader(401)
				fmt.Fprintf(w, `{"status":"error","message":%q,"category":"INVALID_AUTHENTICATION"}`, "bad: "+echo)
			}
		})
		for name, call := range calls {
			err := call(hubspot.New(nil), target)
			if name == "revoke" {
				continue // a 401 on deletion is a grant already gone
			}
			noSecret(t, err, fakeSecrets...)
			if !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("%s: %v, want the echoed secret redacted", name, err)
			}
		}
	})
}

func TestSettings(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		hubspot.SettingAuthorizeURL: "https://hub-a.example.com/oauth/authorize",
		hubspot.SettingTokenURL:     "https://hub-a.example.com/oauth/v1/token",
		hubspot.SettingAPIURL:       "https://hub-a.example.com",
	}
	for k, v := range hubspot.Settings("https://hub-a.example.com/") {
		if want[k] != v {
			t.Errorf("Settings %s = %q, want %q", k, v, want[k])
		}
	}
	d := hubspot.DefaultSettings()
	if d[hubspot.SettingAuthorizeURL] != "https://app.hubspot.com/oauth/authorize" || d[hubspot.SettingTokenURL] != "https://api.hubapi.com/oauth/v1/token" ||
		d[hubspot.SettingAPIURL] != "https://api.hubapi.com" {
		t.Errorf("DefaultSettings = %v", d)
	}

	// A target without what a call needs fails definitely, before any call.
	c := hubspot.New(nil)
	_, err := c.AuthCodeURL(connector.Target{AuthKind: hubspot.AuthOAuth2, Settings: hubspot.DefaultSettings()}, "state-123", "verifier", "https://b/cb")
	wantError(t, err, connector.ReasonAppConfig, true, nil, hubspot.SettingClientID)
	_, err = c.Check(context.Background(), connector.Target{AuthKind: "password", Settings: hubspot.DefaultSettings()}, fakeCred)
	wantError(t, err, connector.ReasonAppConfig, true, fakeSecrets, "password")
	_, err = c.Check(context.Background(), connector.Target{AuthKind: hubspot.AuthOAuth2}, fakeCred)
	wantError(t, err, connector.ReasonAppConfig, true, fakeSecrets, hubspot.SettingAPIURL)
}

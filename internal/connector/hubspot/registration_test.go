package hubspot_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
)

// TestCheckRegistration proves the hub's client id and secret on A by
// introspection: it passes with the current secret, fails definitely as
// app_config_changed once A rotated it, and rotates nothing on A.
func TestCheckRegistration(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	cred := b.connect(t, c, "reg@example.com")
	tokens := b.a.CountTokens(t, "access", "refresh")
	if err := c.CheckRegistration(ctx, b.target, cred); err != nil {
		t.Fatalf("check registration: %v", err)
	}
	if n := b.a.CountTokens(t, "access", "refresh"); n != tokens {
		t.Fatalf("checking the registration changed A's tokens: %d, then %d", tokens, n)
	}
	if _, err := c.Check(ctx, b.target, cred); err != nil {
		t.Fatalf("the access token stopped working after the registration check: %v", err)
	}

	_, secret, err := b.a.Hub.Apps.RotateSecret(ctx, b.app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	// The token still works: only the registration shows the rotation.
	if _, err := c.Check(ctx, b.target, cred); err != nil {
		t.Fatalf("check after A rotated the secret: %v", err)
	}
	err = c.CheckRegistration(ctx, b.target, cred)
	wantError(t, err, connector.ReasonAppConfig, true, append(secretsOf(b, cred), secret), "client id or secret")
	fixed := b.target
	fixed.Secret = secret
	if err := c.CheckRegistration(ctx, fixed, cred); err != nil {
		t.Fatalf("check registration with the new secret: %v", err)
	}

	if err := c.Revoke(ctx, fixed, cred); err != nil {
		t.Fatal(err)
	}
	err = c.CheckRegistration(ctx, fixed, cred)
	wantError(t, err, connector.ReasonTokenExpired, true, append(secretsOf(b, cred), secret), "inactive")

	private := connector.Target{AuthKind: hubspot.AuthPrivateApp, Settings: map[string]string{hubspot.SettingAPIURL: "http://127.0.0.1:1"}}
	if err := c.CheckRegistration(ctx, private, connector.Credential{APIKey: "pat-x"}); err != nil {
		t.Fatalf("a private app has no registration to check: %v", err)
	}
}

// TestRegistrationAnswers classifies introspection answers a running
// hubsync does not give, in HubSpot's and RFC 7662's shapes.
func TestRegistrationAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		status     int
		reason     string
		definite   bool
	}{
		{"HubSpot BAD_CLIENT_ID", `{"status":"BAD_CLIENT_ID","message":"missing or unknown client id","correlationId":"a"}`, 400, connector.ReasonAppConfig, true},
		{"inactive", `{"active":false}`, 200, connector.ReasonTokenExpired, true},
		{"not RFC 7662", `{"token":"x"}`, 200, connector.ReasonUnreachable, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := fake(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/oauth/v3/token/introspect" || r.PostFormValue("client_id") != "client-id" ||
					r.PostFormValue("client_secret") != fakeSecret || r.PostFormValue("token") != fakeAccess {
					t.Errorf("%s %s without the client credentials and the access token in the form", r.Method, r.URL.Path)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			wantError(t, calls["check registration"](hubspot.New(nil), target), tc.reason, tc.definite, fakeSecrets)
		})
	}
}

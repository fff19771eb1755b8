package hubspot_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// These tests run the connector against a real hubsync, hub A, as the
// external app: the hub's own consent page, token endpoint and API.

const callback = "https://hub-b.example.com/connections/callback"

var (
	everyObject = []string{"contacts", "companies", "deals"}
	editAll     = map[string]string{"contacts": identity.AccessEdit, "companies": identity.AccessEdit, "deals": identity.AccessEdit}
)

// objectScopes are the read and write scopes of objects.
func objectScopes(objects ...string) []string {
	var s []string
	for _, o := range objects {
		s = append(s, "crm.objects."+o+".read", "crm.objects."+o+".write")
	}
	return s
}

type testBundle struct {
	a      *hubtest.Env
	app    store.App
	target connector.Target
	hubID  string
}

// setup starts hub A with an OAuth app that requires scopes (every
// object's read and write when none are given) and returns the connector
// with a target for that app syncing every object.
func setup(t *testing.T, scopes ...string) (*hubspot.Connector, *testBundle) {
	t.Helper()
	if len(scopes) == 0 {
		scopes = objectScopes(everyObject...)
	}
	a := hubtest.New(t, hubtest.SQLite)
	app, secret := a.App(t, oauth.AppInput{Name: "Hub B", RedirectURIs: []string{callback}, Scopes: scopes,
		OptionalScopes: []string{"crm.schemas.contacts.read"}})
	settings := hubspot.Settings(a.URL + "/")
	settings[hubspot.SettingClientID] = app.ClientID
	settings[hubspot.SettingScopes] = strings.Join(scopes, " ")
	settings[hubspot.SettingOptionalScopes] = "crm.schemas.contacts.read"
	acct, err := a.Hub.Identity.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return hubspot.New(nil), &testBundle{a: a, app: app, hubID: strconv.FormatInt(acct.HubID, 10),
		target: connector.Target{AuthKind: hubspot.AuthOAuth2, Settings: settings, Secret: secret, Objects: everyObject}}
}

// connect approves the app on A's consent page as email (a new user with
// edit on every object) and exchanges the code.
func (b *testBundle) connect(t *testing.T, c *hubspot.Connector, email string) connector.Credential {
	t.Helper()
	b.a.User(t, email, identity.RoleMember, editAll)
	verifier, state := oauth2.GenerateVerifier(), "state-"+email
	authURL, err := c.AuthCodeURL(b.target, state, verifier, callback)
	if err != nil {
		t.Fatal(err)
	}
	back := b.a.Browser().Consent(t, authURL, email)
	if got := back.Query().Get("state"); got != state {
		t.Fatalf("consent returned state %q, want %q: %s", got, state, back)
	}
	cred, err := c.Exchange(context.Background(), b.target, back.Query().Get("code"), verifier, callback)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if cred.AccessToken == "" || cred.RefreshToken == "" || time.Until(cred.ExpiresAt) < time.Minute {
		t.Fatalf("exchange gave %+v, want both tokens and an expiry ahead", redacted(cred))
	}
	return cred
}

func redacted(c connector.Credential) string {
	return "access " + strconv.Itoa(len(c.AccessToken)) + " chars, refresh " + strconv.Itoa(len(c.RefreshToken)) +
		" chars, expires " + c.ExpiresAt.Format(time.RFC3339)
}

// wantError checks that err is a *connector.Error with reason and
// definiteness, whose text mentions words ("a|b" accepts either), and that
// no secret appears in it.
func wantError(t *testing.T, err error, reason string, definite bool, secrets []string, words ...string) *connector.Error {
	t.Helper()
	var e *connector.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *connector.Error %s", err, err, reason)
	}
	if e.Reason != reason || e.Definite != definite {
		t.Errorf("reason %s definite=%v, want %s definite=%v: %v", e.Reason, e.Definite, reason, definite, err)
	}
	for _, w := range words {
		if !containsAny(e.Message+" "+e.Detail+" "+e.Said, w) {
			t.Errorf("error does not mention %q: message %q, detail %q, said %q", w, e.Message, e.Detail, e.Said)
		}
	}
	noSecret(t, err, secrets...)
	t.Logf("%s", err)
	return e
}

// noSecret fails if a secret appears in any text err offers.
func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error()}
	var e *connector.Error
	if errors.As(err, &e) {
		texts = append(texts, e.Message, e.Detail, e.Said)
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		texts = append(texts, u.Error())
	}
	for _, s := range secrets {
		for _, text := range texts {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("error text holds a secret: %q", text)
			}
		}
	}
}

func secretsOf(b *testBundle, creds ...connector.Credential) []string {
	s := []string{b.target.Secret}
	for _, c := range creds {
		s = append(s, c.AccessToken, c.RefreshToken, c.APIKey)
	}
	return s
}

func containsAny(s, words string) bool {
	for _, w := range strings.Split(words, "|") {
		if strings.Contains(strings.ToLower(s), strings.ToLower(w)) {
			return true
		}
	}
	return false
}

func TestCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()

	verifier := oauth2.GenerateVerifier()
	authURL, err := c.AuthCodeURL(b.target, "state-one", verifier, callback)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{"client_id": b.app.ClientID, "redirect_uri": callback, "state": "state-one", "response_type": "code",
		"scope": strings.Join(objectScopes(everyObject...), " "), "optional_scope": "crm.schemas.contacts.read",
		"code_challenge_method": "S256", "code_challenge": oauth2.S256ChallengeFromVerifier(verifier)}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("authorize URL %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if !strings.HasPrefix(authURL, b.a.URL+"/oauth/authorize?") {
		t.Errorf("authorize URL %s is not A's consent page", authURL)
	}

	const email = "ann@example.com"
	cred := b.connect(t, c, email)
	id, err := c.Check(ctx, b.target, cred)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if id.Account != b.hubID || id.User != email {
		t.Errorf("identity account %q user %q, want %q %q", id.Account, id.User, b.hubID, email)
	}
	for _, s := range objectScopes(everyObject...) {
		if !containsAny(strings.Join(id.Scopes, " "), s) {
			t.Errorf("identity scopes %v lack %s", id.Scopes, s)
		}
	}
	if err := c.CheckGrant(ctx, b.target, cred); err != nil {
		t.Errorf("check grant: %v", err)
	}
}

func TestExchangeRefusals(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	const email = "ben@example.com"
	b.a.User(t, email, identity.RoleMember, editAll)
	code := func() (string, string) {
		verifier := oauth2.GenerateVerifier()
		authURL, err := c.AuthCodeURL(b.target, "state-exchange", verifier, callback)
		if err != nil {
			t.Fatal(err)
		}
		return b.a.Browser().Consent(t, authURL, email).Query().Get("code"), verifier
	}

	code1, _ := code()
	_, err := c.Exchange(ctx, b.target, code1, oauth2.GenerateVerifier(), callback)
	wantError(t, err, connector.ReasonTokenExpired, true, []string{code1, b.target.Secret}, "authorization code", "verifier")

	code2, verifier2 := code()
	_, err = c.Exchange(ctx, b.target, code2, verifier2, callback+"/elsewhere")
	wantError(t, err, connector.ReasonAppConfig, true, []string{code2, verifier2, b.target.Secret}, "redirect")

	code3, verifier3 := code()
	wrong := b.target
	wrong.Secret = "not-the-secret-of-this-app"
	_, err = c.Exchange(ctx, wrong, code3, verifier3, callback)
	wantError(t, err, connector.ReasonAppConfig, true, []string{code3, verifier3, wrong.Secret}, "client id or secret")
}

// TestRefresh: an app of A that opted into rotation gets a new refresh
// token on every refresh, and A retires the access token issued with the
// old one; presenting a rotated refresh token again ends the whole grant.
func TestRefresh(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	on := true
	in := oauth.InputOf(b.app)
	in.RefreshTokenRotation = &on
	if _, err := b.a.Hub.Apps.Update(ctx, b.app.ClientID, in); err != nil {
		t.Fatal(err)
	}
	first := b.connect(t, c, "cat@example.com")

	second, err := c.Refresh(ctx, b.target, first)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.AccessToken == first.AccessToken || second.RefreshToken == "" || time.Until(second.ExpiresAt) < time.Minute {
		t.Fatalf("refresh gave %s, want a new access token, a refresh token and an expiry ahead", redacted(second))
	}
	if second.RefreshToken == first.RefreshToken {
		t.Errorf("A kept the refresh token of an app that rotates")
	}
	if _, err := c.Check(ctx, b.target, second); err != nil {
		t.Errorf("check with the refreshed token: %v", err)
	}
	_, err = c.Check(ctx, b.target, first)
	wantError(t, err, connector.ReasonTokenExpired, true, secretsOf(b, first, second), "access token")

	// A lost rotation (the new refresh token was never stored) replays
	// the old one: A refuses it and ends the grant.
	_, err = c.Refresh(ctx, b.target, first)
	wantError(t, err, connector.ReasonTokenExpired, true, secretsOf(b, first, second), "refresh token")
	_, err = c.Refresh(ctx, b.target, second)
	wantError(t, err, connector.ReasonConsentRevoked, true, secretsOf(b, first, second), "revoked", "rotation")
	err = c.CheckGrant(ctx, b.target, second)
	wantError(t, err, connector.ReasonConsentRevoked, true, secretsOf(b, first, second))
}

// TestRefreshKeepsTheInstallToken: an app of A that does not rotate, as on
// HubSpot, keeps the refresh token of the install through every refresh,
// and the access tokens issued before keep working until they expire.
func TestRefreshKeepsTheInstallToken(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	first := b.connect(t, c, "kit@example.com")
	cred := first
	for range 3 {
		next, err := c.Refresh(ctx, b.target, first)
		if err != nil {
			t.Fatalf("refresh with the install's refresh token: %v", err)
		}
		if next.RefreshToken != first.RefreshToken || next.AccessToken == cred.AccessToken {
			t.Fatalf("refresh gave a new refresh token %v, a new access token %v; want no, yes",
				next.RefreshToken != first.RefreshToken, next.AccessToken != cred.AccessToken)
		}
		cred = next
	}
	for _, use := range []connector.Credential{first, cred} {
		if _, err := c.Check(ctx, b.target, use); err != nil {
			t.Errorf("check: %v", err)
		}
	}
}

// TestUserLeavesA ends the approving user's access on A in each way A
// knows: the API refuses the token (the caller then refreshes), the
// refresh says the grant is gone and why, and so does CheckGrant.
func TestUserLeavesA(t *testing.T) {
	t.Parallel()
	newPassword := "a brand new password"
	cases := []struct {
		name   string
		change func(ctx context.Context, id *identity.Service, email string) error
		// words are what the API's 401 says; refreshWords what the
		// refresh says after it.
		words, refreshWords []string
	}{
		{name: "removed", words: []string{"removed"}, refreshWords: []string{"removed@example.com", "removed"},
			change: func(ctx context.Context, id *identity.Service, email string) error {
				_, err := id.Remove(ctx, email)
				return err
			}},
		{name: "deactivated", words: []string{"deactivated"}, refreshWords: []string{"deactivated", "deactivated@example.com"},
			change: func(ctx context.Context, id *identity.Service, email string) error {
				_, err := id.Deactivate(ctx, email)
				return err
			}},
		// The first call to notice the change applies A's policy and
		// revokes the grant; later answers only say it was revoked.
		{name: "password changed", words: []string{"password"}, refreshWords: []string{"revoked", "credentials"},
			change: func(ctx context.Context, id *identity.Service, email string) error {
				_, err := id.UpdateUser(ctx, email, identity.UserChanges{Password: &newPassword})
				return err
			}},
	}
	c, b := setup(t)
	for _, tc := range cases {
		for _, refreshFirst := range []bool{false, true} {
			name := tc.name + "/check first"
			if refreshFirst {
				name = tc.name + "/refresh first"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				email := strings.ReplaceAll(tc.name, " ", "-") + "@example.com"
				if refreshFirst {
					email = "r-" + email
				}
				cred := b.connect(t, c, email)
				other := b.connect(t, c, "stays-"+email)
				if err := tc.change(ctx, b.a.Hub.Identity, email); err != nil {
					t.Fatal(err)
				}
				secrets := secretsOf(b, cred)
				check := func() {
					t.Helper()
					_, err := c.Check(ctx, b.target, cred)
					wantError(t, err, connector.ReasonTokenExpired, true, secrets)
				}
				if refreshFirst {
					// The first to notice hears the specific reason.
					_, err := c.Refresh(ctx, b.target, cred)
					wantError(t, err, connector.ReasonConsentRevoked, true, secrets, append([]string{email}, tc.words...)...)
					check()
				} else {
					_, err := c.Check(ctx, b.target, cred)
					wantError(t, err, connector.ReasonTokenExpired, true, secrets, append([]string{email}, tc.words...)...)
					_, err = c.Refresh(ctx, b.target, cred)
					wantError(t, err, connector.ReasonConsentRevoked, true, secrets, tc.refreshWords...)
				}
				err := c.CheckGrant(ctx, b.target, cred)
				wantError(t, err, connector.ReasonConsentRevoked, true, secrets)

				// Another user's grant of the same app is untouched.
				if _, err := c.Check(ctx, b.target, other); err != nil {
					t.Errorf("another user's check: %v", err)
				}
				if _, err := c.Refresh(ctx, b.target, other); err != nil {
					t.Errorf("another user's refresh: %v", err)
				}
			})
		}
	}
}

func TestClientSecretRotated(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	cred := b.connect(t, c, "dan@example.com")
	_, secret, err := b.a.Hub.Apps.RotateSecret(ctx, b.app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Refresh(ctx, b.target, cred)
	wantError(t, err, connector.ReasonAppConfig, true, append(secretsOf(b, cred), secret), "client id or secret")

	// The access token lives on (it belongs to the grant, not the secret),
	// and the new secret refreshes.
	if _, err := c.Check(ctx, b.target, cred); err != nil {
		t.Errorf("check after the rotation: %v", err)
	}
	b.target.Secret = secret
	if _, err := c.Refresh(ctx, b.target, cred); err != nil {
		t.Errorf("refresh with the new secret: %v", err)
	}
}

func TestScopesMissing(t *testing.T) {
	t.Parallel()
	c, b := setup(t, append(objectScopes("contacts", "companies"), "crm.objects.deals.read")...)
	cred := b.connect(t, c, "eve@example.com")
	id, err := c.Check(context.Background(), b.target, cred)
	e := wantError(t, err, connector.ReasonScopesMissing, true, secretsOf(b, cred), "deals", "crm.objects.deals.write")
	if strings.Contains(e.Detail, "contacts") || strings.Contains(e.Detail, "companies") || strings.Contains(e.Detail, "deals.read") {
		t.Errorf("detail %q names what was granted", e.Detail)
	}
	if id.Account != b.hubID || id.User != "eve@example.com" {
		t.Errorf("identity with the error: %+v, want A's hub and eve", id)
	}

	// A connection that syncs only what was granted passes.
	b.target.Objects = []string{"contacts", "companies"}
	if _, err := c.Check(context.Background(), b.target, cred); err != nil {
		t.Errorf("check of granted objects: %v", err)
	}
}

func TestPrivateApp(t *testing.T) {
	t.Parallel()
	a := hubtest.New(t, hubtest.SQLite)
	ctx := context.Background()
	c := hubspot.New(nil)
	pa, token, err := a.Hub.PrivateApps.Create(ctx, "hub B", objectScopes("contacts", "companies"), 0)
	if err != nil {
		t.Fatal(err)
	}
	target := connector.Target{AuthKind: hubspot.AuthPrivateApp, Settings: hubspot.Settings(a.URL), Objects: []string{"contacts", "companies"}}
	cred := connector.Credential{APIKey: token}
	if _, err := c.Check(ctx, target, cred); err != nil {
		t.Fatalf("check: %v", err)
	}
	// A private app has no grant to refresh, check or revoke.
	if got, err := c.Refresh(ctx, target, cred); err != nil || got != cred {
		t.Errorf("refresh of a private app: %v, credential changed: %v", err, got != cred)
	}
	if err := c.CheckGrant(ctx, target, cred); err != nil {
		t.Errorf("check grant of a private app: %v", err)
	}

	target.Objects = everyObject
	_, err = c.Check(ctx, target, cred)
	e := wantError(t, err, connector.ReasonScopesMissing, true, []string{token}, "deals")
	if strings.Contains(e.Detail, "contacts") {
		t.Errorf("detail %q names a granted object", e.Detail)
	}

	if err := a.Hub.PrivateApps.Delete(ctx, pa.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(ctx, target, cred)
	wantError(t, err, connector.ReasonAPIKeyInvalid, true, []string{token}, "private app token")

	_, err = c.Check(ctx, target, connector.Credential{APIKey: "pat-hs1-" + strings.Repeat("x", 40)})
	wantError(t, err, connector.ReasonAPIKeyInvalid, true, nil)
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	cred := b.connect(t, c, "fay@example.com")
	if err := c.Revoke(ctx, b.target, cred); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	secrets := secretsOf(b, cred)
	wantError(t, c.CheckGrant(ctx, b.target, cred), connector.ReasonConsentRevoked, true, secrets)
	_, err := c.Refresh(ctx, b.target, cred)
	wantError(t, err, connector.ReasonConsentRevoked, true, secrets, "revoked")
	_, err = c.Check(ctx, b.target, cred)
	wantError(t, err, connector.ReasonTokenExpired, true, secrets)
	// Revoking what is gone is fine.
	if err := c.Revoke(ctx, b.target, cred); err != nil {
		t.Errorf("second revoke: %v", err)
	}
}

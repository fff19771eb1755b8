package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// appCallback is the test app's registered redirect URI. It is not a
// loopback address, so fosite's any-port rule for loopback URIs (RFC 8252)
// cannot make a wrong URI match.
const appCallback = "https://app.example.com/oauth/callback"

const (
	contactsRead = "crm.objects.contacts.read"
	dealsRead    = "crm.objects.deals.read"
)

// bundle is a running hub with one confidential app registered.
type bundle struct {
	env    *hubtest.Env
	app    store.App
	secret string
	conf   *oauth2.Config
	// ctx carries the hub's HTTP client for golang.org/x/oauth2.
	ctx context.Context
}

// setup starts a hub on backend with a confidential app that asks for
// scopes (contacts and deals read when none are given).
func setup(t *testing.T, backend hubtest.Backend, scopes ...string) *bundle {
	t.Helper()
	return setupOn(t, hubtest.New(t, backend), scopes...)
}

// setupOn is setup on a hub the caller started.
func setupOn(t *testing.T, env *hubtest.Env, scopes ...string) *bundle {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{contactsRead, dealsRead}
	}
	b := &bundle{env: env}
	b.app, b.secret = env.App(t, oauth.AppInput{Name: "Lifecycle app", RedirectURIs: []string{appCallback}, Scopes: scopes})
	b.conf = b.oauth2Config(b.app, b.secret)
	b.ctx = context.WithValue(context.Background(), oauth2.HTTPClient, env.Server.Client())
	return b
}

func (b *bundle) oauth2Config(app store.App, secret string) *oauth2.Config {
	return &oauth2.Config{ClientID: app.ClientID, ClientSecret: secret, RedirectURL: app.RedirectURIs[0], Scopes: app.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: b.env.URL + "/oauth/authorize", TokenURL: b.env.URL + "/oauth/v1/token",
			AuthStyle: oauth2.AuthStyleInParams}}
}

// code signs in as email in a fresh browser, allows the app and returns the
// authorization code with its PKCE verifier.
func (b *bundle) code(t *testing.T, email string) (code, verifier string) {
	t.Helper()
	return codeFor(t, b.env, b.conf, email)
}

func codeFor(t *testing.T, env *hubtest.Env, conf *oauth2.Config, email string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	back := env.Browser().Consent(t, conf.AuthCodeURL("state-of-"+email, oauth2.S256ChallengeOption(verifier)), email)
	if code = back.Query().Get("code"); code == "" {
		t.Fatalf("consent did not return a code: %s", back)
	}
	return code, verifier
}

// tokens are what a successful token request returned.
type tokens struct {
	access, refresh string
	body            map[string]any
}

// connect runs the whole flow as email and returns the tokens.
func (b *bundle) connect(t *testing.T, email string) tokens {
	t.Helper()
	code, verifier := b.code(t, email)
	return mustTokens(t, b.exchange(t, code, verifier))
}

func mustTokens(t *testing.T, r reply) tokens {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("token request: %d %s", r.status, r.raw)
	}
	tk := tokens{access: r.str("access_token"), refresh: r.str("refresh_token"), body: r.body}
	if tk.access == "" || tk.refresh == "" {
		t.Fatalf("token response lacks tokens: %s", r.raw)
	}
	return tk
}

// exchangeForm is a correct authorization_code request, with the client
// credentials in the body.
func (b *bundle) exchangeForm(code, verifier string) url.Values {
	return b.withSecret(url.Values{"grant_type": {"authorization_code"}, "client_id": {b.app.ClientID},
		"redirect_uri": {appCallback}, "code": {code}, "code_verifier": {verifier}})
}

// withSecret adds the client secret to a form, unless the app is public.
func (b *bundle) withSecret(form url.Values) url.Values {
	if b.secret != "" {
		form.Set("client_secret", b.secret)
	}
	return form
}

func (b *bundle) exchange(t *testing.T, code, verifier string) reply {
	t.Helper()
	return post(t, b.env, "/oauth/v1/token", b.exchangeForm(code, verifier), nil)
}

func (b *bundle) refresh(t *testing.T, refreshToken string) reply {
	t.Helper()
	return post(t, b.env, "/oauth/v1/token", b.withSecret(url.Values{"grant_type": {"refresh_token"}, "client_id": {b.app.ClientID},
		"refresh_token": {refreshToken}}), nil)
}

// api lists an object type with token and returns the answer.
func (b *bundle) api(t *testing.T, object, token string) hubtest.Response {
	t.Helper()
	return b.env.Do(t, http.MethodGet, "/crm/v3/objects/"+object, token, nil)
}

// wantAPI checks a call's status and, for errors, its category and the
// words its message must hold (a word "a|b" accepts either).
func wantAPI(t *testing.T, r hubtest.Response, status int, category string, words ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("API call: status %d, want %d\n%s", r.Status, status, r.Body)
	}
	if status < 400 {
		return
	}
	body := r.JSON(t)
	if body["category"] != category {
		t.Errorf("category %v, want %s\n%s", body["category"], category, r.Body)
	}
	msg, _ := body["message"].(string)
	for _, w := range words {
		if !containsAny(msg, w) {
			t.Errorf("message %q does not mention %q", msg, w)
		}
	}
}

// reply is an answer of a form-posting endpoint.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r reply) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// post sends a form, with HTTP Basic client credentials when basic holds
// an id and a secret.
func post(t *testing.T, env *hubtest.Env, path string, form url.Values, basic []string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("POST %s: body is not a JSON object: %v\n%s", path, err, raw)
		}
	}
	return r
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// wantTokenError checks a token-endpoint error: the HTTP status, the RFC
// 6749 error, HubSpot's status (when hubspot is not empty), every field
// both standards name, and the words the description must hold ("a|b"
// accepts either).
func wantTokenError(t *testing.T, r reply, status int, rfcError, hubspot string, words ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d\n%s", r.status, status, r.raw)
	}
	if got := r.str("error"); got != rfcError {
		t.Errorf("error %q, want %q\n%s", got, rfcError, r.raw)
	}
	if hubspot != "" && r.str("status") != hubspot {
		t.Errorf("HubSpot status %q, want %q\n%s", r.str("status"), hubspot, r.raw)
	}
	// HubSpot's published Error model requires category, correlationId and
	// message; strict clients refuse an error body without them.
	for _, k := range []string{"error", "error_description", "status", "message", "category"} {
		if r.str(k) == "" {
			t.Errorf("error body lacks %s: %s", k, r.raw)
		}
	}
	if !uuidPattern.MatchString(r.str("correlationId")) {
		t.Errorf("correlationId %q is not a UUID: %s", r.str("correlationId"), r.raw)
	}
	if _, ok := r.body["access_token"]; ok {
		t.Errorf("an error response carries an access token: %s", r.raw)
	}
	for _, w := range words {
		if !containsAny(r.str("error_description"), w) {
			t.Errorf("error_description %q does not mention %q", r.str("error_description"), w)
		}
	}
}

// grantOf returns the only grant a user gave an app, as admins see it.
func grantOf(t *testing.T, env *hubtest.Env, appID int64, email string) oauth.GrantView {
	t.Helper()
	grants, err := env.Hub.Grants.List(context.Background(), 0, appID)
	if err != nil {
		t.Fatal(err)
	}
	var found []oauth.GrantView
	for _, g := range grants {
		if g.User.Email == email {
			found = append(found, g)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s has %d grants of app %d, want 1: %+v", email, len(found), appID, grants)
	}
	return found[0]
}

// containsAny reports whether s holds one of the |-separated words, in any case.
func containsAny(s, words string) bool {
	for _, w := range strings.Split(words, "|") {
		if strings.Contains(strings.ToLower(s), strings.ToLower(w)) {
			return true
		}
	}
	return false
}

package hubtest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/formclient"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// User creates an active user with a password.
func (e *Env) User(t testing.TB, email, role string, perms map[string]string) store.User {
	t.Helper()
	u, err := e.Hub.Identity.CreateUser(context.Background(), identity.NewUser{Email: email, Role: role,
		Password: Password(email), Permissions: perms})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// Password is the password User gives a user.
func Password(email string) string { return "password " + email }

// App registers an OAuth app and returns it with its secret.
func (e *Env) App(t testing.TB, in oauth.AppInput) (store.App, string) {
	t.Helper()
	if in.Name == "" {
		in.Name = "Test app"
	}
	app, secret, err := e.Hub.Apps.Create(context.Background(), in, 0)
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	return app, secret
}

// Browser is a cookie-keeping client that does not follow redirects, so
// tests see each step of a sign-in and consent.
type Browser struct {
	*http.Client
	base string
}

// Browser returns a fresh browser for the hub.
func (e *Env) Browser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{base: e.URL, Client: &http.Client{Jar: jar, Transport: e.Server.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Page fetches a URL and returns the status, Location and body.
func (b *Browser) Page(t testing.TB, method, u string, form url.Values) (int, string, string) {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(data)
}

// CSRF returns the form token of a page.
func CSRF(t testing.TB, page string) string {
	t.Helper()
	token, err := formclient.FormToken(formclient.Page{Status: http.StatusOK, Body: page})
	if err != nil {
		t.Fatalf("%v:\n%s", err, page)
	}
	return token
}

// SignIn signs the browser in as email.
func (b *Browser) SignIn(t testing.TB, email string) {
	t.Helper()
	_, _, page := b.Page(t, http.MethodGet, "/signin?return_to=/", nil)
	status, _, body := b.Page(t, http.MethodPost, "/signin", url.Values{"email": {email},
		"password": {Password(email)}, "csrf": {CSRF(t, page)}, "return_to": {"/"}})
	if status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d\n%s", email, status, body)
	}
}

// Consent runs an authorization URL through sign-in (as email) and the
// consent page, allowing with the given optional scopes, and returns where
// the hub finally redirects the browser.
func (b *Browser) Consent(t testing.TB, authURL, email string, optional ...string) *url.URL {
	t.Helper()
	status, loc, body := b.Page(t, http.MethodGet, authURL, nil)
	if status == http.StatusSeeOther && strings.HasPrefix(loc, "/signin") {
		b.SignIn(t, email)
		status, loc, body = b.Page(t, http.MethodGet, authURL, nil)
	}
	if status != http.StatusOK {
		t.Fatalf("authorize page: %d %s\n%s", status, loc, body)
	}
	form := url.Values{"csrf": {CSRF(t, body)}, "decision": {"allow"}, "grant_optional": optional}
	status, loc, body = b.Page(t, http.MethodPost, authURL, form)
	if status != http.StatusSeeOther && status != http.StatusFound {
		t.Fatalf("consent: %d\n%s", status, body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

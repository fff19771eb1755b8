package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// benchRedirect is the redirect URI of the bench's OAuth app. Nothing
// listens there: the bench reads the code from the consent page's redirect
// without following it.
const benchRedirect = "http://127.0.0.1:9/callback"

// oauthApp is an OAuth app registered on a hub, with one user's grant.
type oauthApp struct {
	clientID, secret string
	access, refresh  string
}

// authorize registers an app on h and approves it as the admin through the
// sign-in and consent pages, as a person in a browser would, then trades
// the code for tokens.
func authorize(ctx context.Context, h *hubProc) (*oauthApp, error) {
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := h.admin.json(ctx, "POST", "/api/v1/apps", map[string]any{"name": "bench app",
		"redirect_uris": []string{benchRedirect}, "scopes": crmScopes}, &app); err != nil {
		return nil, err
	}
	authURL := h.URL + "/oauth/authorize?" + url.Values{"client_id": {app.ClientID}, "redirect_uri": {benchRedirect},
		"scope": {strings.Join(crmScopes, " ")}, "state": {rand.Text()}}.Encode()
	code, err := newBrowser().consent(ctx, authURL, adminEmail, h.password)
	if err != nil {
		return nil, err
	}
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	c := newClient(h.URL, "")
	if err := c.json(ctx, "POST", "/oauth/v1/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "redirect_uri": {benchRedirect}, "code": {code}}, &tok); err != nil {
		return nil, err
	}
	return &oauthApp{clientID: app.ClientID, secret: app.ClientSecret, access: tok.Access, refresh: tok.Refresh}, nil
}

// browser keeps cookies and stops at redirects, so each step of a sign-in
// and a consent can be read.
type browser struct{ client *http.Client }

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{client: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status   int
	location string
	body     string
}

func (b *browser) do(ctx context.Context, method, u string, form url.Values) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	loc := resp.Header.Get("Location")
	if abs, perr := req.URL.Parse(loc); loc != "" && perr == nil {
		loc = abs.String()
	}
	return answer{status: resp.StatusCode, location: loc, body: string(data)}, err
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func formToken(a answer) (string, error) {
	m := csrfField.FindStringSubmatch(a.body)
	if m == nil {
		return "", fmt.Errorf("the page (%d) has no form to fill in", a.status)
	}
	return m[1], nil
}

// consent signs in if asked, allows the app and returns the code the
// consent page redirects with.
func (b *browser) consent(ctx context.Context, authURL, email, password string) (string, error) {
	a, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	if a.status == http.StatusSeeOther && strings.Contains(a.location, "/signin") {
		if err := b.signIn(ctx, a.location, email, password); err != nil {
			return "", err
		}
		if a, err = b.do(ctx, http.MethodGet, authURL, nil); err != nil {
			return "", err
		}
	}
	token, err := formToken(a)
	if err != nil {
		return "", err
	}
	if a, err = b.do(ctx, http.MethodPost, authURL, url.Values{"csrf": {token}, "decision": {"allow"}}); err != nil {
		return "", err
	}
	back, err := url.Parse(a.location)
	if err != nil || back.Query().Get("code") == "" {
		return "", errors.New("allowing on the consent page gave no code: " + a.location)
	}
	return back.Query().Get("code"), nil
}

func (b *browser) signIn(ctx context.Context, signinURL, email, password string) error {
	a, err := b.do(ctx, http.MethodGet, signinURL, nil)
	if err != nil {
		return err
	}
	token, err := formToken(a)
	if err != nil {
		return err
	}
	u, err := url.Parse(signinURL)
	if err != nil {
		return err
	}
	form := url.Values{"email": {email}, "password": {password}, "csrf": {token}, "return_to": {u.Query().Get("return_to")}}
	target := *u
	target.RawQuery = ""
	if a, err = b.do(ctx, http.MethodPost, target.String(), form); err != nil {
		return err
	}
	if a.status != http.StatusSeeOther {
		return fmt.Errorf("signing in answered %d", a.status)
	}
	return nil
}

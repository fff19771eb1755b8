// Package formclient stands in for a person's browser on the hub's sign-in
// and consent pages: it keeps cookies and does not follow redirects, so
// each step can be checked. The demo and the bench approve OAuth apps
// with it, through the same pages a person uses.
package formclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Browser is a form client with its own cookies.
type Browser struct {
	client *http.Client
}

// New returns a Browser with no cookies.
func New() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{client: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Page is an answer read whole (up to 1 MiB), its Location made absolute.
type Page struct {
	Status   int
	Location string
	Body     string
}

// Do makes one request, posting form when it is not nil.
func (b *Browser) Do(ctx context.Context, method, u string, form url.Values) (Page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return Page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return Page{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Page{}, err
	}
	loc := resp.Header.Get("Location")
	if loc != "" {
		if abs, err := req.URL.Parse(loc); err == nil {
			loc = abs.String()
		}
	}
	return Page{Status: resp.StatusCode, Location: loc, Body: string(data)}, nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// FormToken is the page's hidden form token.
func FormToken(p Page) (string, error) {
	m := csrfField.FindStringSubmatch(p.Body)
	if m == nil {
		return "", fmt.Errorf("the page (%d) has no form to fill in", p.Status)
	}
	return m[1], nil
}

// Allow follows an authorization URL as a person would: signs in as email
// when asked, then allows the consent page. It returns the consent page's
// redirect, whose Location carries the code (or the error) to the app.
func (b *Browser) Allow(ctx context.Context, authURL, email, password string) (Page, error) {
	p, err := b.Do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return p, err
	}
	if p.Status == http.StatusSeeOther && strings.Contains(p.Location, "/signin") {
		if err := b.SignIn(ctx, p.Location, email, password); err != nil {
			return p, err
		}
		if p, err = b.Do(ctx, http.MethodGet, authURL, nil); err != nil {
			return p, err
		}
	}
	if p.Status != http.StatusOK {
		return p, fmt.Errorf("the consent page answered %d: %s", p.Status, Brief(p.Body))
	}
	token, err := FormToken(p)
	if err != nil {
		return p, err
	}
	p, err = b.Do(ctx, http.MethodPost, authURL, url.Values{"csrf": {token}, "decision": {"allow"}})
	if err != nil {
		return p, err
	}
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		return p, fmt.Errorf("allowing on the consent page answered %d: %s", p.Status, Brief(p.Body))
	}
	return p, nil
}

// SignIn fills in the sign-in form at signinURL.
func (b *Browser) SignIn(ctx context.Context, signinURL, email, password string) error {
	p, err := b.Do(ctx, http.MethodGet, signinURL, nil)
	if err != nil {
		return err
	}
	token, err := FormToken(p)
	if err != nil {
		return err
	}
	u, err := url.Parse(signinURL)
	if err != nil {
		return err
	}
	form := url.Values{"email": {email}, "password": {password}, "csrf": {token},
		"return_to": {u.Query().Get("return_to")}}
	target := *u
	target.RawQuery = ""
	p, err = b.Do(ctx, http.MethodPost, target.String(), form)
	if err != nil {
		return err
	}
	if p.Status != http.StatusSeeOther {
		return fmt.Errorf("signing in as %s answered %d: %s", email, p.Status, Brief(p.Body))
	}
	return nil
}

// Brief shortens a page for an error message.
func Brief(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return body
}

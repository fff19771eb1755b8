package demo

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

// browser is a small form client standing in for a person's browser: it
// keeps cookies and does not follow redirects, so each step of a sign-in
// and a consent can be checked.
type browser struct {
	client *http.Client
}

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{client: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer read whole.
type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(ctx context.Context, method, u string, form url.Values) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return page{}, err
	}
	loc := resp.Header.Get("Location")
	if loc != "" {
		if abs, err := req.URL.Parse(loc); err == nil {
			loc = abs.String()
		}
	}
	return page{status: resp.StatusCode, location: loc, body: string(data)}, nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken is the page's hidden form token.
func formToken(p page) (string, error) {
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		return "", fmt.Errorf("the page (%d) has no form to fill in", p.status)
	}
	return m[1], nil
}

// consent follows an authorization URL as a person would: signs in on the
// external app as email, allows the consent page, then follows the
// redirect back to the hub's callback. It returns the hub's final answer.
func (b *browser) consent(ctx context.Context, authURL, email, password string) (page, error) {
	p, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return p, err
	}
	if p.status == http.StatusSeeOther && strings.Contains(p.location, "/signin") {
		if err := b.signIn(ctx, p.location, email, password); err != nil {
			return p, err
		}
		if p, err = b.do(ctx, http.MethodGet, authURL, nil); err != nil {
			return p, err
		}
	}
	if p.status != http.StatusOK {
		return p, fmt.Errorf("the consent page answered %d: %s", p.status, brief(p.body))
	}
	token, err := formToken(p)
	if err != nil {
		return p, err
	}
	p, err = b.do(ctx, http.MethodPost, authURL, url.Values{"csrf": {token}, "decision": {"allow"}})
	if err != nil {
		return p, err
	}
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		return p, fmt.Errorf("allowing on the consent page answered %d: %s", p.status, brief(p.body))
	}
	back, err := b.do(ctx, http.MethodGet, p.location, nil)
	if err != nil {
		return back, err
	}
	if back.status >= 400 {
		return back, fmt.Errorf("the hub's callback answered %d: %s", back.status, brief(back.body))
	}
	return back, nil
}

// signIn fills in the sign-in form at signinURL.
func (b *browser) signIn(ctx context.Context, signinURL, email, password string) error {
	p, err := b.do(ctx, http.MethodGet, signinURL, nil)
	if err != nil {
		return err
	}
	token, err := formToken(p)
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
	p, err = b.do(ctx, http.MethodPost, target.String(), form)
	if err != nil {
		return err
	}
	if p.status != http.StatusSeeOther {
		return fmt.Errorf("signing in as %s answered %d: %s", email, p.status, brief(p.body))
	}
	return nil
}

// brief shortens a page for an error message.
func brief(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return body
}

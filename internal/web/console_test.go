package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// Every console page is behind sign-in: a signed-out GET goes to sign-in
// and comes back, a signed-out change changes nothing.
func TestEveryPageNeedsSignIn(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	public := map[string]bool{"GET /signin": true, "POST /signin": true, "GET /oauth/authorize": true,
		"POST /oauth/authorize": true, "GET /static/{file}": true, "GET /connections/callback": true}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, pattern := range env.Hub.PageRoutes() {
		if public[pattern] {
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.NewReplacer("{$}", "", "{id}", "1", "{sync}", "1", "{user}", "1", "{app}", "1", "{grant}", "1").Replace(path)
		for i := strings.Index(path, "{"); i >= 0; i = strings.Index(path, "{") {
			j := strings.Index(path[i:], "}")
			path = path[:i] + "1" + path[i+j+1:]
		}
		req, _ := http.NewRequest(method, env.URL+path, strings.NewReader(url.Values{"csrf": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?return_to=") {
			t.Errorf("%s signed out: %d to %q, want 303 to sign-in", pattern, resp.StatusCode, loc)
		}
	}
}

// A change needs the session's form token: a request forged from a signed-in
// browser without it is refused, even with the session cookie.
func TestChangeWithoutFormTokenIsRefused(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	b := env.Browser()
	b.SignIn(t, "boss@example.com")
	status, _, body := b.Page(t, http.MethodPost, "/signout", url.Values{"csrf": {"forged"}})
	if status != http.StatusForbidden || !strings.Contains(body, "form token") {
		t.Fatalf("sign-out with a wrong token: %d\n%s", status, body)
	}
	status, loc, _ := b.Page(t, http.MethodGet, "/home", nil)
	if status != http.StatusOK {
		t.Fatalf("the refused sign-out signed the browser out: %d %s", status, loc)
	}
}

// The root sends a signed-out person to sign in and then home; signing out
// ends the session on the server.
func TestScreenshotsSignInAndOut(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "member@example.com", identity.RoleMember, nil)
	ctx := webtest.Chrome(t)
	webtest.Do(t, ctx, "open the sign-in page", chromedp.Navigate(env.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	webtest.Shot(t, ctx, "signin")
	webtest.SignIn(t, ctx, env.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Shot(t, ctx, "home-empty")
	if path := webtest.Path(t, ctx); path != "/home" {
		t.Fatalf("after sign-in the browser is at %s, want /home", path)
	}
	if who := webtest.Text(t, ctx, ".who"); !strings.Contains(who, "admin@example.com") {
		t.Fatalf("header shows %q", who)
	}
	webtest.Do(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`.signout button`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	webtest.Do(t, ctx, "open home signed out", chromedp.Navigate(env.URL+"/home"), chromedp.WaitVisible(chromedp.CSS("#email")))
	returnTo := webtest.Get(t, ctx, "read return_to", chromedp.Value(chromedp.CSS(`input[name=return_to]`)))
	if returnTo != "/home" {
		t.Fatalf("sign-in page would return to %q, want /home", returnTo)
	}
}

// Each vendored file is the one its VERSIONS line names (package and
// checksum), and the hub serves it with a validator browsers can revalidate.
func TestVendoredFilesMatchTheirChecksums(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	lines, err := os.ReadFile("static/VERSIONS")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(lines), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		resp, err := http.Get(env.URL + "/static/" + f[0])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sum := sha256.Sum256(body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" || hex.EncodeToString(sum[:]) != f[2] {
			t.Errorf("%s (%s): %d, ETag %q, sha256 %x, want %s", f[0], f[1], resp.StatusCode, resp.Header.Get("ETag"), sum, f[2])
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("static/VERSIONS names no file")
	}
}

// Behind a proxy that ends TLS, the hub sees plain HTTP; its HTTPS public
// URL still keeps the sign-in cookies to HTTPS.
func TestCookiesStayOnHTTPSBehindAProxy(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		secure    bool
	}{{"https://crm.example.org", true}, {"", false}} {
		env := hubtest.New(t, hubtest.SQLite, func(c *config.Config) { c.PublicURL = tc.publicURL })
		env.User(t, "boss@example.com", identity.RoleAdmin, nil)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(env.URL + "/signin")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		form := resp.Cookies()
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/signin", strings.NewReader(url.Values{"email": {"boss@example.com"},
			"password": {hubtest.Password("boss@example.com")}, "csrf": {hubtest.CSRF(t, string(page))}, "return_to": {"/home"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range form {
			req.AddCookie(c)
		}
		resp, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cookies := append(form, resp.Cookies()...)
		if resp.StatusCode != http.StatusSeeOther || len(cookies) != 2 {
			t.Fatalf("public URL %q: sign-in %d with cookies %v", tc.publicURL, resp.StatusCode, cookies)
		}
		for _, c := range cookies {
			if c.Secure != tc.secure || !c.HttpOnly {
				t.Errorf("public URL %q: cookie %s is Secure=%v HttpOnly=%v, want Secure=%v HttpOnly", tc.publicURL, c.Name, c.Secure, c.HttpOnly, tc.secure)
			}
		}
	}
}

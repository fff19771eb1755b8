package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// The apps page: a member sees only their own grant and no action, and a
// revoke forged from their page is refused; an integration manager makes a
// private app and sees its token once, rotates it (the old one stops), revokes
// the member's grant and deletes the private app, each ending the tokens.
func TestScreenshotsApps(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	ctx := context.Background()
	member := env.User(t, "sam@example.com", identity.RoleMember, nil)
	app, secret := env.App(t, oauth.AppInput{Name: "Billing", RedirectURIs: []string{"http://127.0.0.1:9/cb"},
		Scopes: []string{"crm.objects.contacts.read", "crm.objects.deals.read"}})
	tok := grantApp(t, env, app, secret, member.Email)
	if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", tok.AccessToken, nil); r.Status != http.StatusOK {
		t.Fatalf("the app's call: %d", r.Status)
	}
	grants, err := env.Hub.Grants.List(ctx, member.ID, 0)
	if err != nil || len(grants) != 1 {
		t.Fatalf("grants of the member: %v (%v)", grants, err)
	}

	b := webtest.Chrome(t)
	webtest.SignIn(t, b, env.URL, member.Email, hubtest.Password(member.Email))
	webtest.Do(t, b, "open the member's apps page", chromedp.Navigate(env.URL+"/apps"), chromedp.WaitVisible(chromedp.CSS(`table.grants`)))
	if text := webtest.Text(t, b, "main"); !strings.Contains(text, "Billing") || strings.Contains(text, "Private apps") {
		t.Fatalf("the member's apps page:\n%s", text)
	}
	if n := webtest.Get(t, b, "count buttons", chromedp.Evaluate[int](`document.querySelectorAll("main button, main form").length`)); n != 0 {
		t.Fatalf("the member's apps page offers %d forms or buttons", n)
	}
	webtest.Shot(t, b, "apps-member")
	forge := fmt.Sprintf(`fetch("/grants/%s/revoke", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "csrf=" + encodeURIComponent(document.querySelector("input[name=csrf]").value)}).then(r => r.status)`, grants[0].ID)
	if status := webtest.Get(t, b, "forge a revoke", chromedp.Evaluate[int](forge, chromedp.EvalAwaitPromise)); status != http.StatusForbidden {
		t.Fatalf("the member's forged revoke: %d, want 403", status)
	}
	if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", tok.AccessToken, nil); r.Status != http.StatusOK {
		t.Fatalf("after the refused revoke the app's call: %d", r.Status)
	}

	b = webtest.Chrome(t)
	webtest.SignIn(t, b, env.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, b, "create a private app", chromedp.Navigate(env.URL+"/apps"),
		chromedp.SendKeys(chromedp.CSS(`#pa-name`), "Nightly export"),
		chromedp.Click(chromedp.CSS(`input[value="crm.objects.contacts.read"]`)),
		chromedp.Click(chromedp.CSS(`input[value="crm.objects.deals.read"]`)),
		chromedp.Click(chromedp.CSS(`form.new-private-app button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
	first := webtest.Text(t, b, "#new-token")
	if !strings.HasPrefix(first, oauth.PrivateAppPrefix) {
		t.Fatalf("the page shows %q as the token", first)
	}
	if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", first, nil); r.Status != http.StatusOK {
		t.Fatalf("a call with the new token: %d", r.Status)
	}
	webtest.Shot(t, b, "apps")
	webtest.Do(t, b, "open the page again", chromedp.Navigate(env.URL+"/apps"), chromedp.WaitVisible(chromedp.CSS(`table.private-apps`)))
	if html := webtest.Get(t, b, "read the page", chromedp.OuterHTML(chromedp.CSS(`html`))); strings.Contains(html, first) {
		t.Fatal("the token is shown again")
	}

	webtest.Do(t, b, "rotate the token", chromedp.Click(chromedp.CSS(`form.rotate button`)), chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
	second := webtest.Text(t, b, "#new-token")
	if second == first || !strings.HasPrefix(second, oauth.PrivateAppPrefix) {
		t.Fatalf("the rotation shows %q", second)
	}
	if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", first, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the old token after a rotation without grace: %d", r.Status)
	}

	webtest.Do(t, b, "revoke the member's grant", chromedp.Navigate(env.URL+"/apps"),
		chromedp.Click(chromedp.CSS(`table.grants button.danger`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", tok.AccessToken, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the app's call after the revoke: %d", r.Status)
	}

	webtest.Do(t, b, "open the delete confirmation", chromedp.Navigate(env.URL+"/apps"),
		chromedp.Click(chromedp.CSS(`table.private-apps a.danger`)), chromedp.WaitVisible(chromedp.CSS(`.confirm button.danger`)))
	webtest.Shot(t, b, "app-delete")
	webtest.Do(t, b, "delete the private app", chromedp.Click(chromedp.CSS(`.confirm button.danger`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", second, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the token after the delete: %d", r.Status)
	}
}

// grantApp has email approve app on env's consent page for reading
// contacts, and returns the app's token.
func grantApp(t *testing.T, env *hubtest.Env, app store.App, secret, email string) *oauth2.Token {
	t.Helper()
	conf := &oauth2.Config{ClientID: app.ClientID, ClientSecret: secret, RedirectURL: app.RedirectURIs[0],
		Scopes: []string{"crm.objects.contacts.read"}, Endpoint: oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/v1/token"}}
	back := env.Browser().Consent(t, conf.AuthCodeURL("state-123456"), email)
	tok, err := conf.Exchange(context.WithValue(context.Background(), oauth2.HTTPClient, env.Server.Client()), back.Query().Get("code"))
	if err != nil {
		t.Fatalf("%s approving %s: %v", email, app.Name, err)
	}
	return tok
}

// A refused private app shows the form again as typed, with why.
func TestPrivateAppRefusedKeepsTheForm(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "ops@example.com", identity.RoleAdmin, nil)
	b := env.Browser()
	b.SignIn(t, "ops@example.com")
	_, _, page := b.Page(t, http.MethodGet, "/apps", nil)
	token := hubtest.CSRF(t, page)
	status, _, page := b.Page(t, http.MethodPost, "/private-apps", url.Values{"csrf": {token}, "name": {"CI bot"},
		"scope": {oauth.Scopes[0], "no.such.scope"}})
	if status != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) {
		t.Fatalf("a private app with an unknown scope: %d\n%s", status, page)
	}
	if !strings.Contains(page, `value="CI bot"`) || !strings.Contains(page, `value="`+oauth.Scopes[0]+`" checked>`) {
		t.Fatalf("the refused form lost what was typed:\n%s", page)
	}
}

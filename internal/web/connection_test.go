package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// connected is a pair with one connection of Ours to Acme as the connector
// user, syncing contacts both ways.
func connected(t *testing.T) (*webtest.Pair, store.Connection) {
	t.Helper()
	p := webtest.NewPair(t, hubtest.SQLite)
	conn := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email, Objects: []string{"contacts"}})
	if _, err := p.Ours.Hub.Syncer.AddObjectSync(context.Background(), p.Admin, conn.ID, syncer.ObjectSyncInput{HubObject: "contacts"}); err != nil {
		t.Fatal(err)
	}
	return p, conn
}

// acmeOnItsOwnHost sends browsers to Acme's pages as localhost: both hubs
// listen on 127.0.0.1, and a browser keeps cookies per host, not per port,
// so signing in to Acme there would sign it out of Ours.
func acmeOnItsOwnHost(t *testing.T, p *webtest.Pair) {
	t.Helper()
	u, _ := url.Parse(p.Acme.URL)
	_, port, _ := strings.Cut(u.Host, ":")
	_, err := p.Ours.Hub.Connections.UpdateIntegration(context.Background(), p.Admin, p.Integration.Name, connection.IntegrationChange{
		Settings: map[string]string{hubspot.SettingAuthorizeURL: "http://localhost:" + port + "/oauth/authorize"}})
	if err != nil {
		t.Fatal(err)
	}
}

// waitText waits (up to 5 s) until the element css shows want, without
// reloading the page.
func waitText(t *testing.T, ctx context.Context, what, css, want string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, css, want)
	webtest.Do(t, ctx, what, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
}

// markPage tags the page in the browser; the tag survives only while the
// page is not reloaded.
func markPage(t *testing.T, ctx context.Context) {
	webtest.Do(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
}

func stillSamePage(t *testing.T, ctx context.Context) {
	t.Helper()
	if !webtest.Get(t, ctx, "read the mark", chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Fatal("the page was reloaded")
	}
}

// The reconnect story: a connection broken by its connector user's forced
// removal shows the catalog's reason; Reconnect leads to Acme's consent
// page, where the approver signs in and allows; the browser comes back to
// the connection's page, which says as whom it is connected, shows it
// active and, without a reload, the catch-up run.
func TestScreenshotsConnectionReconnect(t *testing.T) {
	p, conn := connected(t)
	acmeOnItsOwnHost(t, p)
	ctx := context.Background()
	if _, _, err := p.Ours.Hub.Connections.Offboard(ctx, p.Admin, p.Ours.Hub.Identity, connection.Offboarding{
		User: p.Connector.Email, Status: identity.StatusRemoved, Force: true}); err != nil {
		t.Fatal(err)
	}
	broken, err := p.Ours.Hub.Connections.Get(ctx, conn.ID)
	if err != nil || broken.Status != connection.StatusNeedsReconnect {
		t.Fatalf("after the forced removal: %s %v", broken.Status, err)
	}

	b := webtest.Chrome(t)
	webtest.SignIn(t, b, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	page := fmt.Sprintf("%s/connections/%d", p.Ours.URL, conn.ID)
	webtest.Do(t, b, "open the broken connection", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#conn-live")))
	if got := webtest.Text(t, b, "#conn-live .reason"); got != broken.ReasonMessage || !strings.Contains(got, p.Connector.Email) {
		t.Fatalf("the page gives the reason %q, want the catalog's %q", got, broken.ReasonMessage)
	}
	if got := webtest.Text(t, b, "#conn-live .next"); !strings.Contains(got, broken.NextStep) {
		t.Fatalf("next step %q, want %q", got, broken.NextStep)
	}
	webtest.Shot(t, b, "connection-broken")

	// The connector user is gone, so Reconnect asks whom to connect as.
	webtest.Do(t, b, "click Reconnect and choose the second admin",
		chromedp.Click(chromedp.CSS("#reconnect")),
		chromedp.WaitVisible(chromedp.CSS("#owner")),
		chromedp.SetValue(chromedp.CSS("#owner"), p.Second.Email),
		chromedp.Click(chromedp.CSS("#reconnect-as")))
	webtest.Do(t, b, "sign in to Acme",
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), p.Approver),
		chromedp.SendKeys(chromedp.CSS("#password"), hubtest.Password(p.Approver)),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`button[value=allow]`)))
	if host := webtest.Get(t, b, "read the host", chromedp.Evaluate[string](`location.host`)); !strings.HasPrefix(host, "localhost:") {
		t.Fatalf("the consent page is on %s, want Acme", host)
	}
	webtest.Do(t, b, "allow on Acme's consent page", chromedp.Click(chromedp.CSS(`button[value=allow]`)),
		chromedp.WaitVisible(chromedp.CSS("#conn-live")))
	if path := webtest.Path(t, b); path != fmt.Sprintf("/connections/%d", conn.ID) {
		t.Fatalf("after the approval the browser is at %s", path)
	}
	markPage(t, b)
	repaired, err := p.Ours.Hub.Connections.Get(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "Reconnected as " + repaired.External["user"] + " on " + repaired.External["account"]
	if got := webtest.Text(t, b, ".notice"); repaired.External["user"] == "" || !strings.Contains(got, want) {
		t.Fatalf("the page says %q, want %q", got, want)
	}
	waitText(t, b, "the status turns active within 5 s", "#conn-live h2", "active")
	waitText(t, b, "the catch-up run appears within 5 s", "#conn-live .recent-runs", "reconnect")
	stillSamePage(t, b)
	webtest.Shot(t, b, "connection-reconnected")
}

// A credential for another external account is refused on the
// connection's page with the domain's reason, and the connection stays as
// it was.
func TestReconnectToAnotherAccountIsRefused(t *testing.T) {
	p, conn := connected(t)
	ctx := context.Background()
	// The stored identity says another account, as if the connection had
	// been made with a different Acme.
	err := p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, conn.ID)
		if err != nil {
			return err
		}
		c.External = map[string]string{"account": "another-account", "user": c.External["user"]}
		return tx.UpdateConnection(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	started, err := p.Ours.Hub.Connections.Reconnect(ctx, p.Admin, conn.ID, connection.Reconnection{})
	if err != nil {
		t.Fatal(err)
	}
	back := p.Acme.Browser().Consent(t, started.AuthorizeURL, p.Approver)
	ours := p.Ours.Browser()
	ours.SignIn(t, p.Second.Email)
	status, loc, _ := ours.Page(t, http.MethodGet, back.String(), nil)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, fmt.Sprintf("/connections/%d?refused=", conn.ID)) {
		t.Fatalf("callback: %d to %q, want the connection's page", status, loc)
	}
	status, _, body := ours.Page(t, http.MethodGet, loc, nil)
	if status != http.StatusOK || !strings.Contains(body, "The approval was refused") || !strings.Contains(body, "syncs with account another-account") {
		t.Fatalf("the connection's page after a refused approval: %d\n%s", status, body)
	}
	after, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID)
	if after.External["account"] != "another-account" {
		t.Fatalf("the refused approval changed the connection: %v", after.External)
	}
}

package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// An integration manager creates an integration from the form, edits it
// (the client secret is never shown, only replaced), and deletes it behind
// a confirmation; the integration a connection uses cannot be deleted.
func TestScreenshotsIntegrations(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	ctx := context.Background()
	p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	const secret = "s3cret-of-the-registration"
	b := webtest.Chrome(t)
	webtest.SignIn(t, b, p.Ours.URL, "admin@example.com", webtest.AdminPassword)

	webtest.Do(t, b, "choose the provider", chromedp.Navigate(p.Ours.URL+"/integrations/new"),
		chromedp.Click(chromedp.CSS(`input[value=hubspot]`)), chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#setting_client_id`)))
	webtest.Do(t, b, "fill the new integration",
		chromedp.SendKeys(chromedp.CSS(`#name`), "acme-sandbox"),
		chromedp.SendKeys(chromedp.CSS(`#base_url`), p.Acme.URL),
		chromedp.SendKeys(chromedp.CSS(`#setting_client_id`), "sandbox-client"),
		chromedp.SendKeys(chromedp.CSS(`#setting_scopes`), "crm.objects.contacts.read crm.objects.contacts.write"),
		chromedp.SendKeys(chromedp.CSS(`#client_secret`), secret))
	webtest.Shot(t, b, "integration-new")
	webtest.Do(t, b, "create it", chromedp.Click(chromedp.CSS(`form.integration-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	in, err := p.Ours.Hub.Connections.Integration(ctx, "acme-sandbox")
	if err != nil {
		t.Fatalf("the form made no integration: %v", err)
	}
	if in.Config["authorize_url"] != p.Acme.URL+"/oauth/authorize" || in.Config["client_id"] != "sandbox-client" || len(in.Secret) == 0 {
		t.Fatalf("the integration was made with %v (secret stored: %v)", in.Config, len(in.Secret) > 0)
	}
	if html := webtest.Get(t, b, "read the page", chromedp.OuterHTML(chromedp.CSS(`html`))); strings.Contains(html, secret) {
		t.Fatal("the integration's page shows its client secret")
	}
	webtest.Shot(t, b, "integration")

	webtest.Do(t, b, "change the scopes, leaving the secret",
		chromedp.Navigate(p.Ours.URL+"/integrations/"+peopleID(in.ID)), chromedp.WaitVisible(chromedp.CSS(`#setting_scopes`)),
		chromedp.SetValue(chromedp.CSS(`#setting_scopes`), "crm.objects.contacts.read"),
		chromedp.Click(chromedp.CSS(`form.integration-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	after, err := p.Ours.Hub.Connections.Integration(ctx, "acme-sandbox")
	if err != nil || after.Config["scopes"] != "crm.objects.contacts.read" || string(after.Secret) != string(in.Secret) {
		t.Fatalf("after the edit: %v (%v), secret kept: %v", after.Config, err, string(after.Secret) == string(in.Secret))
	}

	webtest.Do(t, b, "open the list", chromedp.Navigate(p.Ours.URL+"/integrations"), chromedp.WaitVisible(chromedp.CSS(`table.integrations`)))
	list := webtest.Text(t, b, "main")
	for _, want := range []string{"acme-sandbox", p.Integration.Name, p.Connector.Email, p.Second.Email} {
		if !strings.Contains(list, want) {
			t.Errorf("the integrations page lacks %q", want)
		}
	}
	if strings.Contains(webtest.Text(t, b, "ul.managers"), p.Member.Email) {
		t.Error("the member is listed among those who may manage integrations")
	}
	webtest.Shot(t, b, "integrations")

	webtest.Do(t, b, "try deleting the integration in use", chromedp.Navigate(p.Ours.URL+"/integrations/"+peopleID(p.Integration.ID)+"/delete"),
		chromedp.Click(chromedp.CSS(`form button.danger`)), chromedp.WaitVisible(chromedp.CSS(`.confirm .error`)))
	if _, err := p.Ours.Hub.Connections.Integration(ctx, p.Integration.Name); err != nil {
		t.Fatalf("the integration in use was deleted: %v", err)
	}
	webtest.Do(t, b, "delete the new one", chromedp.Navigate(p.Ours.URL+"/integrations/"+peopleID(in.ID)+"/delete"),
		chromedp.WaitVisible(chromedp.CSS(`form button.danger`)))
	webtest.Shot(t, b, "integration-delete")
	webtest.Do(t, b, "confirm", chromedp.Click(chromedp.CSS(`form button.danger`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if _, err := p.Ours.Hub.Connections.Integration(ctx, "acme-sandbox"); err == nil {
		t.Fatal("the confirmed delete left the integration")
	}
}

// Someone who may view but not manage integrations sees them without a
// form, and a change they post is refused.
func TestIntegrationsReadOnlyWithoutManage(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	no := false
	viewer, err := env.Hub.Identity.CreateUser(context.Background(), identity.NewUser{Email: "viewer@example.com", Role: identity.RoleAdmin,
		Password: hubtest.Password("viewer@example.com"), IntegrationsManage: &no})
	if err != nil {
		t.Fatal(err)
	}
	in, err := env.Hub.Connections.CreateIntegration(context.Background(), audit.CLI, connection.NewIntegration{Name: "pg", Provider: "postgres",
		AuthKind: connection.AuthPassword, Settings: map[string]string{"poll_interval": "1m"}})
	if err != nil {
		t.Fatal(err)
	}
	b := env.Browser()
	b.SignIn(t, viewer.Email)
	status, _, page := b.Page(t, http.MethodGet, "/integrations/"+peopleID(in.ID), nil)
	if status != http.StatusOK || strings.Contains(page, "<form method=\"post\" action=\"/integrations") || strings.Contains(page, "/delete") {
		t.Fatalf("a viewer's integration page: %d, offers changes:\n%s", status, page)
	}
	status, _, page = b.Page(t, http.MethodPost, "/integrations/"+peopleID(in.ID)+"/delete", map[string][]string{"csrf": {hubtest.CSRF(t, page)}})
	if status != http.StatusForbidden {
		t.Fatalf("a viewer's delete: %d\n%s", status, page)
	}
	if _, err := env.Hub.Connections.Integration(context.Background(), "pg"); err != nil {
		t.Fatalf("the refused delete deleted: %v", err)
	}
}

// A postgres integration has no client secret; its other settings are
// key=value lines, and a line taken out removes that setting.
func TestEditPostgresIntegrationSettings(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	ctx := context.Background()
	env.User(t, "ops@example.com", identity.RoleAdmin, nil)
	in, err := env.Hub.Connections.CreateIntegration(ctx, audit.CLI, connection.NewIntegration{Name: "pg", Provider: "postgres",
		AuthKind: connection.AuthPassword, Settings: map[string]string{"poll_interval": "1m", "rate_limit": "100/10s"}})
	if err != nil {
		t.Fatal(err)
	}
	b := env.Browser()
	b.SignIn(t, "ops@example.com")
	status, _, page := b.Page(t, http.MethodGet, "/integrations/"+peopleID(in.ID), nil)
	if status != http.StatusOK || !strings.Contains(page, "poll_interval=1m\nrate_limit=100/10s") || strings.Contains(page, "client_secret") {
		t.Fatalf("the postgres integration's page: %d\n%s", status, page)
	}
	token := hubtest.CSRF(t, page)
	status, _, page = b.Page(t, http.MethodPost, "/integrations/"+peopleID(in.ID), url.Values{"csrf": {token}, "other": {"poll_interval=5m\n"}})
	if status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", status, page)
	}
	after, err := env.Hub.Connections.Integration(ctx, "pg")
	if err != nil || after.Config["poll_interval"] != "5m" || after.Config["rate_limit"] != "" {
		t.Fatalf("after the save: %v (%v)", after.Config, err)
	}
	status, _, page = b.Page(t, http.MethodPost, "/integrations/"+peopleID(in.ID), url.Values{"csrf": {token},
		"other": {"poll_interval=10m\nno equals sign"}})
	if status != http.StatusBadRequest || !strings.Contains(page, "key=value") {
		t.Fatalf("a malformed line: %d\n%s", status, page)
	}
	if !strings.Contains(page, "poll_interval=10m\nno equals sign") {
		t.Fatalf("the refused form does not show the settings as typed:\n%s", page)
	}
}

package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// wizardSignIn fills the sign-in form the browser shows, if it shows one:
// two hubs on one host share the session cookie's name, so signing in to
// one signs the browser out of the other.
func wizardSignIn(t *testing.T, ctx context.Context, email, password string) {
	t.Helper()
	if webtest.Path(t, ctx) != "/signin" {
		return
	}
	webtest.Do(t, ctx, "sign in as "+email,
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#password`)),
	)
}

// TestScreenshotsNewConnection is the story "create a new connection
// through the wizard": the admin chooses Acme, user OAuth, contacts and
// companies; the connector step recommends an admin and warns about the
// member, and choosing the member shows that advice before anything is
// made; with the connector chosen, the browser goes to Acme's consent page,
// where Acme's approver approves; back on our hub the connection is active,
// and the first object sync, previewed and saved with "Save and sync",
// runs and delivers the records. It keeps a screenshot of each step.
func TestScreenshotsNewConnection(t *testing.T) {
	ctx := context.Background()
	p := webtest.NewPair(t, hubtest.SQLite)
	for email, name := range map[string]string{"ada@example.com": "Ada", "bob@example.com": "Bob"} {
		if _, err := p.Ours.Hub.CRM.Create(ctx, "test", "contacts", map[string]string{"email": email, "firstname": name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Acme.Hub.CRM.Create(ctx, "test", "contacts", map[string]string{"email": "ada@example.com", "lastname": "Lovelace"}); err != nil {
		t.Fatal(err)
	}

	br := webtest.Chrome(t)
	webtest.SignIn(t, br, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, br, "open the wizard", chromedp.Navigate(p.Ours.URL+"/connections/new"), chromedp.WaitVisible(chromedp.CSS(`#next-button`)))
	webtest.Do(t, br, "choose the integration, mode and objects",
		chromedp.Click(chromedp.CSS(`#integration-`+strconv.FormatInt(p.Integration.ID, 10))),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Acme CRM"),
		chromedp.Click(chromedp.CSS(`#mode-user`)),
		chromedp.Click(chromedp.CSS(`#object-deals`)), // every object is ticked at first
	)
	webtest.Shot(t, br, "connection-new-integration")
	webtest.Do(t, br, "go to the connector step", chromedp.Click(chromedp.CSS(`#next-button`)), chromedp.WaitVisible(chromedp.CSS(`#connect-button`)))

	member := `label[for="owner-` + strconv.FormatInt(p.Member.ID, 10) + `"]`
	if card := webtest.Text(t, br, member); !strings.Contains(card, "is a member, not an admin") {
		t.Fatalf("the member's choice carries no warning: %q", card)
	}
	if rec := webtest.Text(t, br, `.wizard-choices label:first-child`); !strings.Contains(rec, "Recommended") || strings.Contains(rec, p.Member.Email) {
		t.Fatalf("the first choice is not a recommended admin: %q", rec)
	}
	webtest.Shot(t, br, "connection-new-connector")

	webtest.Do(t, br, "choose the member and connect", chromedp.Click(chromedp.CSS(`#owner-`+strconv.FormatInt(p.Member.ID, 10))),
		chromedp.Click(chromedp.CSS(`#connect-button`)), chromedp.WaitVisible(chromedp.CSS(`#owner-advice`)))
	if advice := webtest.Text(t, br, "#owner-advice"); !strings.Contains(advice, p.Member.Email) || !strings.Contains(advice, "is a member") {
		t.Fatalf("the advice about the chosen member: %q", advice)
	}
	if conns, err := p.Ours.Hub.Connections.List(ctx); err != nil || len(conns) != 0 {
		t.Fatalf("choosing a member with advice made a connection: %v %v", conns, err)
	}
	webtest.Shot(t, br, "connection-new-member-warning")

	webtest.Do(t, br, "choose the connector and go to Acme", chromedp.Click(chromedp.CSS(`#owner-`+strconv.FormatInt(p.Connector.ID, 10))),
		chromedp.Click(chromedp.CSS(`#connect-button`)), chromedp.WaitVisible(chromedp.CSS(`#email`)))
	if loc := webtest.Get(t, br, "read the location", chromedp.Location()); !strings.HasPrefix(loc, p.Acme.URL) {
		t.Fatalf("connecting did not go to Acme: %s", loc)
	}
	wizardSignIn(t, br, p.Approver, hubtest.Password(p.Approver))
	webtest.Do(t, br, "see Acme's consent page", chromedp.WaitVisible(chromedp.CSS(`button[value=allow]`)))
	webtest.Shot(t, br, "connection-new-consent")
	webtest.Do(t, br, "approve on Acme", chromedp.Click(chromedp.CSS(`button[value=allow]`)), chromedp.WaitNotPresent(chromedp.CSS(`button[value=allow]`)))
	// Acme sends the browser back to our hub's callback, which completes
	// the connection (whatever page it then shows).
	if loc := webtest.Get(t, br, "read the location", chromedp.Location()); !strings.HasPrefix(loc, p.Ours.URL) {
		t.Fatalf("after approving the browser is on %s", loc)
	}
	conns, err := p.Ours.Hub.Connections.List(ctx)
	if err != nil || len(conns) != 1 || conns[0].Status != connection.StatusActive || conns[0].OwnerID != p.Connector.ID ||
		strings.Join(conns[0].Objects, ",") != "contacts,companies" {
		t.Fatalf("the connection after consent: %+v %v", conns, err)
	}
	conn := conns[0]

	first := p.Ours.URL + "/connections/" + strconv.FormatInt(conn.ID, 10) + "/sync/new"
	webtest.Do(t, br, "open the first object sync", chromedp.Navigate(first))
	wizardSignIn(t, br, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, br, "see the wizard's last step", chromedp.WaitVisible(chromedp.CSS(`ol.wizard-steps`)), chromedp.WaitVisible(chromedp.CSS(`#object`)))
	if step := webtest.Text(t, br, `ol.wizard-steps li[aria-current=step]`); step != "4. First object sync" && step != "First object sync" {
		t.Fatalf("the current step: %q", step)
	}
	webtest.Do(t, br, "choose contacts", chromedp.SetValue(chromedp.CSS(`#object`), "contacts"),
		chromedp.Click(chromedp.CSS(`form[method=get] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#preview-button`)))
	webtest.Do(t, br, "preview the first sync", chromedp.Click(chromedp.CSS(`#preview-button`)), chromedp.WaitVisible(chromedp.CSS(`#preview`)))
	// Bob to create on Acme; Ada pairs by email and takes Acme's last name.
	for id, want := range map[string]string{"app-create": "1", "hub-create": "0", "matched": "1", "hub-update": "1", "app-update": "1"} {
		if got := webtest.Text(t, br, "#preview-"+id); got != want {
			t.Errorf("first sync preview %s = %s, want %s", id, got, want)
		}
	}
	webtest.Shot(t, br, "connection-new-first-sync")
	webtest.Do(t, br, "save and sync", chromedp.Click(chromedp.CSS(`#save-sync-button`)), chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	b := syncBundle{p: p, conn: conn}
	b.waitRun(t, 0, syncer.RunSucceeded)
	acme := syncContacts(t, p.Acme)
	if acme["bob@example.com"] == nil || acme["ada@example.com"]["firstname"] != "Ada" || syncContacts(t, p.Ours)["ada@example.com"]["lastname"] != "Lovelace" {
		t.Fatalf("the first run did not deliver: Acme %v", acme)
	}
	// The page shows the first run end without a reload (within 10 s).
	webtest.Get(t, br, "see the first run end on the page", chromedp.Poll[bool](
		`(document.querySelector('#sync-lastrun')?.textContent || '').includes('succeeded')`, chromedp.WithPollingTimeout(10*time.Second)))
	webtest.Shot(t, br, "connection-new-done")
}

// The connection package's advice about a connector user: a member, one who
// may not edit a chosen object, one already carrying ManyConnections; an
// active admin with edit everywhere gets none and is recommended. The
// wizard's POST refuses a non-OAuth credential it cannot use with the
// connector's words and never shows the credential again.
func TestNewConnectionAdviceAndCredential(t *testing.T) {
	ctx := context.Background()
	env := hubtest.New(t, hubtest.SQLite)
	admin := env.User(t, "boss@example.com", identity.RoleAdmin, webtest.EditAll)
	member := env.User(t, "member@example.com", identity.RoleMember, webtest.EditAll)
	narrow := env.User(t, "narrow@example.com", identity.RoleAdmin, map[string]string{"contacts": "edit", "companies": "view", "deals": "view"})
	busy := env.User(t, "busy@example.com", identity.RoleAdmin, webtest.EditAll)
	conns := env.Hub.Connections
	err := env.Hub.Store.Update(ctx, func(tx store.Tx) error {
		for i := range connection.ManyConnections {
			if _, err := tx.CreateConnection(ctx, store.Connection{Name: "c" + strconv.Itoa(i), AuthMode: connection.ModeUser, OwnerID: busy.ID,
				MaintainerID: busy.ID, Status: connection.StatusActive, Objects: []string{"contacts"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	codes := func(u store.User, objects ...string) string {
		t.Helper()
		advice, err := conns.ConnectorAdvice(ctx, u.ID, objects)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range advice {
			if !strings.Contains(a.Message, u.Email) {
				t.Errorf("advice %q does not name %s", a.Message, u.Email)
			}
			out = append(out, a.Code)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		u       store.User
		objects []string
		want    string
	}{
		{admin, nil, ""}, {member, nil, connection.AdviceMember}, {narrow, []string{"contacts"}, ""},
		{narrow, []string{"contacts", "deals"}, connection.AdviceMissesPermission}, {busy, nil, connection.AdviceManyConnections},
	} {
		if got := codes(c.u, c.objects...); got != c.want {
			t.Errorf("advice about %s for %v: %q, want %q", c.u.Email, c.objects, got, c.want)
		}
	}
	choices, err := conns.ConnectorChoices(ctx, nil)
	if err != nil || len(choices) == 0 || !choices[0].Recommended || len(choices[0].Advice) != 0 || choices[0].User.Role == identity.RoleMember {
		t.Fatalf("choices: %+v %v", choices, err)
	}

	// A database integration takes its URL in a password field; a URL that
	// does not connect is refused with the reason, and not echoed back.
	if _, err := conns.CreateIntegration(ctx, audit.Actor{ID: admin.ID, Label: admin.Email}, connection.NewIntegration{Name: "warehouse", Provider: "postgres",
		AuthKind: connection.AuthPassword}); err != nil {
		t.Fatal(err)
	}
	b := env.Browser()
	b.SignIn(t, admin.Email)
	status, _, page := b.Page(t, http.MethodGet, "/connections/new?step=2&integration=warehouse&name=Warehouse&mode=app&objects=contacts", nil)
	if status != http.StatusOK || !strings.Contains(page, `type="password" id="credential"`) || !strings.Contains(page, "database URL") {
		t.Fatalf("the credential step: %d\n%s", status, page)
	}
	secret := "postgres://u:hunter2secret@127.0.0.1:1/nodb?sslmode=disable"
	status, _, page = b.Page(t, http.MethodPost, "/connections/new", url.Values{"csrf": {hubtest.CSRF(t, page)}, "integration": {"warehouse"},
		"name": {"Warehouse"}, "mode": {"app"}, "objects": {"contacts"}, "owner": {admin.Email}, "credential": {secret}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, `id="wizard-problem"`) || strings.Contains(page, "hunter2secret") {
		t.Fatalf("a database URL that does not connect: %d\n%s", status, page)
	}
	if list, _ := conns.List(ctx); len(list) != connection.ManyConnections {
		t.Fatalf("a refused credential made a connection: %d", len(list))
	}

	// Step 2 without a name goes back to step 1 and says why; Back and
	// Change keep the choices made.
	status, _, page = b.Page(t, http.MethodGet, "/connections/new?step=2&integration=warehouse&name=&mode=app&objects=contacts", nil)
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, `id="wizard-problem"`) || !strings.Contains(page, `id="next-button"`) {
		t.Fatalf("step 2 without a name: %d\n%s", status, page)
	}
	_, _, page = b.Page(t, http.MethodGet, "/connections/new?step=2&integration=warehouse&name=Warehouse&mode=app&objects=contacts", nil)
	back := regexp.MustCompile(`href="(/connections/new\?[^"]+)">Back`).FindStringSubmatch(page)
	if back == nil {
		t.Fatalf("step 2 has no Back link:\n%s", page)
	}
	_, _, page = b.Page(t, http.MethodGet, html.UnescapeString(back[1]), nil)
	if !strings.Contains(page, `value="Warehouse"`) || !regexp.MustCompile(`id="mode-app"[^>]*checked`).MatchString(page) ||
		regexp.MustCompile(`id="object-deals"[^>]*checked`).MatchString(page) || !regexp.MustCompile(`id="object-contacts"[^>]*checked`).MatchString(page) {
		t.Fatalf("Back lost the choices:\n%s", page)
	}

	// A private app token that works connects at once and goes on to the
	// first object sync, which never shows the token.
	ext := hubtest.New(t, hubtest.SQLite)
	token := ext.Token(t, hubtest.AllScopes...)
	if _, err := conns.CreateIntegration(ctx, audit.Actor{ID: admin.ID, Label: admin.Email}, connection.NewIntegration{Name: "other-hub",
		Provider: "hubspot", AuthKind: connection.AuthPrivateApp, Settings: connection.ProviderSettings("hubspot", ext.URL, nil)}); err != nil {
		t.Fatal(err)
	}
	_, _, page = b.Page(t, http.MethodGet, "/connections/new?step=2&integration=other-hub&name=Other&mode=user&objects=contacts", nil)
	status, loc, _ := b.Page(t, http.MethodPost, "/connections/new", url.Values{"csrf": {hubtest.CSRF(t, page)}, "integration": {"other-hub"},
		"name": {"Other"}, "mode": {"user"}, "objects": {"contacts"}, "owner": {admin.Email}, "credential": {token}})
	if status != http.StatusSeeOther || !strings.HasSuffix(strings.Split(loc, "?")[0], "/sync/new") {
		t.Fatalf("a working token: %d to %q", status, loc)
	}
	status, _, page = b.Page(t, http.MethodGet, loc, nil)
	if status != http.StatusOK || !strings.Contains(page, "Connected: Other") || !strings.Contains(page, `aria-current="step"`) || strings.Contains(page, token) {
		t.Fatalf("the first object sync after connecting with a token: %d\n%s", status, page)
	}
}

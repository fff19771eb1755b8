package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
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
	webtest.Do(t, b, "diagnose the broken connection", chromedp.Navigate(page+"/diagnose"), chromedp.Click(chromedp.CSS("#run-again")),
		chromedp.WaitVisible(chromedp.CSS("ol.checklist")))
	if got := webtest.Text(t, b, "li[data-step=connector_user]"); !strings.Contains(got, "fail") || !strings.Contains(got, "Reconnect as another user") {
		t.Fatalf("the connector user step of a connection whose user was removed reads %q", got)
	}
	webtest.Shot(t, b, "connection-diagnose-broken")
	webtest.Do(t, b, "back to the status", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#conn-live")))

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
	webtest.Shot(t, b, "consent")
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
func TestScreenshotsConnectionRefusedApproval(t *testing.T) {
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
	forged := fmt.Sprintf("/connections/%d?refused=%s", conn.ID, url.QueryEscape("Call 555-0100 to fix this."))
	if _, _, body := ours.Page(t, http.MethodGet, forged, nil); strings.Contains(body, "555-0100") {
		t.Fatal("the page shows a refusal the hub did not write")
	}
	status, _, body := ours.Page(t, http.MethodGet, loc, nil)
	if status != http.StatusOK || !strings.Contains(body, "The approval was refused") || !strings.Contains(body, "The new authorization is for external account") || !strings.Contains(body, "syncs with account another-account") {
		t.Fatalf("the connection's page after a refused approval: %d\n%s", status, body)
	}
	after, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID)
	if after.External["account"] != "another-account" {
		t.Fatalf("the refused approval changed the connection: %v", after.External)
	}
	b := webtest.Chrome(t)
	webtest.SignIn(t, b, p.Ours.URL, p.Second.Email, hubtest.Password(p.Second.Email))
	webtest.Do(t, b, "open the page the refusal lands on", chromedp.Navigate(p.Ours.URL+loc), chromedp.WaitVisible(chromedp.CSS(".conn-refused")))
	webtest.Shot(t, b, "connection-reconnect-refused")
}

// contact makes a contact on env; source "" is a person's edit, which
// syncs, and syncer.Source(id) a write of connection id's runs, which that
// connection does not sync again.
func contact(t *testing.T, env *hubtest.Env, source, email, name string) store.Record {
	t.Helper()
	if source == "" {
		source = "test"
	}
	r, err := env.Hub.CRM.Create(context.Background(), source, "contacts", map[string]string{"email": email, "firstname": name})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// emails lists the contacts' emails on env.
func emails(t *testing.T, env *hubtest.Env) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	recs, _, err := env.Hub.CRM.List(context.Background(), "contacts", false, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		out[r.Props["email"]] = true
	}
	return out
}

// refuse quarantines hub record r as refused by the external app, as a run
// does when the app refuses a write.
func refuse(t *testing.T, p *webtest.Pair, syncID int64, r store.Record, reason, msg string) {
	t.Helper()
	ctx := context.Background()
	err := p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PutRecordError(ctx, store.RecordError{SyncID: syncID, Side: store.SideApp, HubID: r.ID,
			Reason: reason, Message: msg, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pastRuns records runs of the last days, as a connection that has synced
// for a week has them, so the activity chart has a history to draw.
func pastRuns(t *testing.T, p *webtest.Pair, id int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	err := p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) error {
		for h := 160; h > 1; h -= 3 {
			at := now.Add(-time.Duration(h) * time.Hour)
			n := 5 + (h*37)%40
			if at.Hour() < 7 || at.Hour() > 19 {
				n /= 5
			}
			_, err := tx.CreateSyncRun(ctx, store.SyncRun{ConnectionID: id, Trigger: "schedule", Status: "succeeded",
				StartedAt: at, FinishedAt: at.Add(1500 * time.Millisecond), HeartbeatAt: at.Add(1500 * time.Millisecond),
				Counts: map[string]int{"contacts.to_app.read": n, "contacts.to_app.updated": n, "contacts.to_hub.created": n / 3}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every tab of a connection's page, with a week of runs and failing
// records; and the retry story: "Retry these" on one group of failing
// records delivers them and leaves the other group failing.
func TestScreenshotsConnection(t *testing.T) {
	p, conn := connected(t)
	ctx := context.Background()
	pastRuns(t, p, conn.ID)
	for i := range 12 {
		contact(t, p.Ours, "", fmt.Sprintf("person%d@example.com", i), fmt.Sprintf("Person %d", i))
	}
	for i := range 5 {
		contact(t, p.Acme, "", fmt.Sprintf("acme%d@example.com", i), fmt.Sprintf("Acme %d", i))
	}
	if err := p.Ours.Hub.Syncer.Run(ctx, conn.ID, "manual"); err != nil {
		t.Fatal(err)
	}
	syncs, err := p.Ours.Hub.Syncer.ObjectSyncs(ctx, conn.ID)
	if err != nil || len(syncs) != 1 {
		t.Fatal(syncs, err)
	}
	refused := []string{"ada@example.com", "grace@example.com", "edsger@example.com"}
	for _, email := range refused {
		r := contact(t, p.Ours, syncer.Source(conn.ID), email, "Refused")
		refuse(t, p, syncs[0].ID, r, "record_rejected", `Property "lifecyclestage" does not accept the value "vip".`)
	}
	other := contact(t, p.Ours, syncer.Source(conn.ID), "barbara@example.com", "Barbara")
	refuse(t, p, syncs[0].ID, other, "rate_limited", "The external app asked the hub to slow down.")

	b := webtest.Chrome(t)
	webtest.SignIn(t, b, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	base := fmt.Sprintf("%s/connections/%d", p.Ours.URL, conn.ID)
	webtest.Do(t, b, "open the connection", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("#conn-live")))
	if got := webtest.Text(t, b, "#conn-live h2"); !strings.Contains(got, "active") {
		t.Fatalf("status %q", got)
	}
	webtest.Shot(t, b, "connection-status")
	markPage(t, b)
	if _, err := p.Ours.Hub.Connections.Pause(ctx, p.Admin, conn.ID); err != nil {
		t.Fatal(err)
	}
	// The page polls every second; 5 s leaves room for a slow machine.
	waitText(t, b, "the status turns paused without a reload", "#conn-live h2", "paused")
	waitText(t, b, "the reason follows", "#conn-live .reason", "paused by admin@example.com")
	stillSamePage(t, b)
	if _, err := p.Ours.Hub.Connections.Resume(ctx, p.Admin, conn.ID); err != nil {
		t.Fatal(err)
	}

	webtest.Do(t, b, "open the health tab", chromedp.Navigate(base+"/health"), chromedp.WaitVisible(chromedp.CSS(".error-groups")))
	if got := webtest.Text(t, b, ".error-group h3"); !strings.Contains(got, "3 record_rejected") {
		t.Fatalf("the largest group of failing records reads %q", got)
	}
	webtest.Shot(t, b, "connection-health")
	for _, email := range refused {
		if emails(t, p.Acme)[email] {
			t.Fatalf("%s reached Acme before the retry", email)
		}
	}
	webtest.Do(t, b, "retry the rejected records",
		chromedp.Click(chromedp.CSS(".error-group button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := webtest.Text(t, b, ".notice"); !strings.Contains(got, "Retried 3 records (record_rejected): 3 went through, 0 still failing") {
		t.Fatalf("after the retry the page says %q", got)
	}
	if got := webtest.Text(t, b, ".error-groups"); strings.Contains(got, "record_rejected") || !strings.Contains(got, "rate_limited") {
		t.Fatalf("after the retry the failing groups are %q", got)
	}
	on := emails(t, p.Acme)
	for _, email := range refused {
		if !on[email] {
			t.Fatalf("the retry did not deliver %s to Acme", email)
		}
	}
	if on["barbara@example.com"] {
		t.Fatal("the retry of one group delivered a record of another")
	}

	webtest.Do(t, b, "open the activity tab", chromedp.Navigate(base+"/activity"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if got := webtest.Text(t, b, "#runs-live"); !strings.Contains(got, "a person (sync now)") || !strings.Contains(got, "retry of failed records") {
		t.Fatalf("the run timeline lacks the manual run or the retries: %q", got)
	}
	if n := webtest.Get(t, b, "count bars", chromedp.Evaluate[int](`document.querySelectorAll("svg.chart rect.bar").length`)); n < 20 {
		t.Fatalf("the chart draws %d bars", n)
	}
	webtest.Shot(t, b, "connection-activity")
	firstRun := `Number(document.querySelector("#runs-live tbody tr").dataset.run)`
	newest := webtest.Get(t, b, "read the first run", chromedp.Evaluate[int](firstRun))
	// The list is swapped every second, so follow the link's address.
	older := webtest.Get(t, b, "the older runs' address", chromedp.Evaluate[string](`document.querySelector("nav.pager a").href`))
	webtest.Do(t, b, "open the older runs", chromedp.Navigate(older), chromedp.WaitVisible(chromedp.CSS(`#runs-live tbody tr`)))
	oldest := webtest.Get(t, b, "read the first older run", chromedp.Evaluate[int](firstRun))
	if n := webtest.Get(t, b, "count the older runs", chromedp.Evaluate[int](`document.querySelectorAll("#runs-live tbody tr").length`)); n != 25 ||
		oldest >= newest || !strings.Contains(webtest.Text(t, b, "nav.pager"), "Newest runs") {
		t.Fatalf("the second page of runs: %d rows from run %d (the first page starts at %d)", n, oldest, newest)
	}

	webtest.Do(t, b, "open the diagnose tab", chromedp.Navigate(base+"/diagnose"), chromedp.WaitVisible(chromedp.CSS("#run-again")))
	if n := webtest.Get(t, b, "count the checklist's steps", chromedp.Evaluate[int](`document.querySelectorAll("ol.checklist li").length`)); n != 0 {
		t.Fatalf("opening the diagnose tab ran the checklist (%d steps)", n)
	}
	webtest.Do(t, b, "run the checklist", chromedp.Click(chromedp.CSS("#run-again")), chromedp.WaitVisible(chromedp.CSS("ol.checklist")))
	if got := webtest.Text(t, b, `li[data-step=status]`); !strings.Contains(got, "pass") {
		t.Fatalf("the status step reads %q", got)
	}
	webtest.Submit(t, b, "run it again", "#run-again", "ol.checklist")
	webtest.Shot(t, b, "connection-diagnose")

	webtest.Do(t, b, "open the audit tab", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	if got := webtest.Text(t, b, "table.audit"); !strings.Contains(got, "record_error.retry") || !strings.Contains(got, "connection.create") {
		t.Fatalf("the audit tab lacks entries: %q", got)
	}
	webtest.Shot(t, b, "connection-audit")

	webtest.Do(t, b, "open the transfer page", chromedp.Navigate(base+"/transfer"), chromedp.WaitVisible(chromedp.CSS("#to")))
	webtest.Shot(t, b, "connection-transfer")
	webtest.Do(t, b, "open the reconnect page", chromedp.Navigate(base+"/reconnect"), chromedp.WaitVisible(chromedp.CSS("#owner")))
	webtest.Shot(t, b, "connection-reconnect")

	webtest.Do(t, b, "open the delete page and type a wrong name", chromedp.Navigate(base+"/delete"),
		chromedp.WaitVisible(chromedp.CSS("#confirm-name")),
		chromedp.SendKeys(chromedp.CSS("#confirm-name"), "Acme"),
		chromedp.Click(chromedp.CSS(".confirm button.danger")),
		chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if c, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID); c.Status != connection.StatusActive {
		t.Fatalf("a wrong name deleted the connection: %s", c.Status)
	}
	webtest.Shot(t, b, "connection-delete")
	webtest.Do(t, b, "type the name and delete", chromedp.Evaluate[chromedp.Void](`document.querySelector("#confirm-name").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#confirm-name"), "Acme CRM"),
		chromedp.Click(chromedp.CSS(".confirm button.danger")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if c, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID); c.Status != connection.StatusDisconnected {
		t.Fatalf("after the confirmed delete the connection is %s", c.Status)
	}
}

// A member sees a connection they do not own as not found, is offered no
// management action on one they maintain, and a change they forge with
// their own form token is refused.
func TestMemberCannotManageAConnection(t *testing.T) {
	p, conn := connected(t)
	member := p.Ours.Browser()
	member.SignIn(t, p.Member.Email)
	path := fmt.Sprintf("/connections/%d", conn.ID)
	if status, _, _ := member.Page(t, http.MethodGet, path, nil); status != http.StatusNotFound {
		t.Fatalf("a member opened another's connection: %d", status)
	}
	if _, err := p.Ours.Hub.Connections.Transfer(context.Background(), p.Admin, conn.ID,
		connection.TransferTo{Maintainer: p.Member.Email}); err != nil {
		t.Fatal(err)
	}
	status, _, page := member.Page(t, http.MethodGet, path, nil)
	if status != http.StatusOK || strings.Contains(page, "/pause") || strings.Contains(page, "/delete") || strings.Contains(page, `id="reconnect"`) {
		t.Fatalf("the maintainer's read-only view: %d\n%s", status, page)
	}
	status, _, body := member.Page(t, http.MethodPost, path+"/pause", url.Values{"csrf": {hubtest.CSRF(t, page)}})
	if status != http.StatusForbidden || !strings.Contains(body, "Not allowed") {
		t.Fatalf("a member's forged pause: %d\n%s", status, body)
	}
	if c, _ := p.Ours.Hub.Connections.Get(context.Background(), conn.ID); c.Status != connection.StatusActive {
		t.Fatalf("the refused pause changed the connection: %s", c.Status)
	}
}

// Transfer, pause and resume from the connection's page change the
// connection as the domain does and say so on the page they lead back to.
func TestTransferPauseAndResumeFromThePage(t *testing.T) {
	p, conn := connected(t)
	ctx := context.Background()
	admin := p.Ours.Browser()
	admin.SignIn(t, p.Second.Email)
	path := fmt.Sprintf("/connections/%d", conn.ID)
	_, _, form := admin.Page(t, http.MethodGet, path+"/transfer", nil)
	csrf := hubtest.CSRF(t, form)
	status, loc, body := admin.Page(t, http.MethodPost, path+"/transfer", url.Values{"csrf": {csrf}, "mode": {"user"},
		"to": {p.Second.Email}, "maintainer": {p.Member.Email}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "notice=") {
		t.Fatalf("transfer: %d %s\n%s", status, loc, body)
	}
	if c, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID); c.OwnerID != p.Second.ID || c.MaintainerID != p.Member.ID {
		t.Fatalf("after the transfer: owner %d maintainer %d", c.OwnerID, c.MaintainerID)
	}
	if _, _, page := admin.Page(t, http.MethodGet, loc, nil); !strings.Contains(page, "owned by "+p.Second.Email) {
		t.Fatalf("the page after the transfer does not say so:\n%s", page)
	}
	for _, step := range []struct{ action, want string }{{"pause", connection.StatusPaused}, {"resume", connection.StatusActive}} {
		status, loc, body := admin.Page(t, http.MethodPost, path+"/"+step.action, url.Values{"csrf": {csrf}})
		if status != http.StatusSeeOther || !strings.HasPrefix(loc, path+"?notice=") {
			t.Fatalf("%s: %d %s\n%s", step.action, status, loc, body)
		}
		if c, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID); c.Status != step.want {
			t.Fatalf("after %s the connection is %s", step.action, c.Status)
		}
	}
	// A transfer the domain refuses shows its sentence.
	status, _, body = admin.Page(t, http.MethodPost, path+"/transfer", url.Values{"csrf": {csrf}, "to": {"nobody@example.com"}})
	if status < 400 || !strings.Contains(body, "nobody@example.com") {
		t.Fatalf("a transfer to an unknown user: %d\n%s", status, body)
	}
}

// The callback with a link that is unknown, used or expired says so.
func TestCallbackWithAnUnknownLink(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	status, _, body := env.Browser().Page(t, http.MethodGet, "/connections/callback?state=nope&code=x", nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "unknown, used or expired") {
		t.Fatalf("callback with an unknown state: %d\n%s", status, body)
	}
}

// The failing records export as CSV, one row each, with a message that
// would start a spreadsheet formula made plain text.
func TestFailingRecordsExportAsCSV(t *testing.T) {
	p, conn := connected(t)
	syncs, err := p.Ours.Hub.Syncer.ObjectSyncs(context.Background(), conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	ada := contact(t, p.Ours, syncer.Source(conn.ID), "ada@example.com", "Ada")
	refuse(t, p, syncs[0].ID, ada, "record_rejected", `=HYPERLINK("http://evil.example")`)
	viewer := p.Ours.Browser()
	viewer.SignIn(t, p.Second.Email)
	resp, err := viewer.Client.Get(fmt.Sprintf("%s/connections/%d/errors.csv", p.Ours.URL, conn.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	if len(rows) != 2 || rows[0][0] != "id" || rows[1][2] != "contacts" || rows[1][4] != fmt.Sprint(ada.ID) ||
		rows[1][6] != "record_rejected" || rows[1][7] != `'=HYPERLINK("http://evil.example")` {
		t.Fatalf("export rows: %q", rows)
	}
}

// A running run shows its progress in the timeline as it goes, and its
// end, without a reload.
func TestRunningRunShowsItsProgressLive(t *testing.T) {
	p, conn := connected(t)
	ctx := context.Background()
	save := func(r store.SyncRun) store.SyncRun {
		t.Helper()
		err := p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) (err error) {
			if r.ID == 0 {
				r, err = tx.CreateSyncRun(ctx, r)
				return err
			}
			return tx.UpdateSyncRun(ctx, r)
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// A run as the engine saves one in progress (the page reads the store).
	run := save(store.SyncRun{ConnectionID: conn.ID, Trigger: "manual", Status: "running", StartedAt: time.Now(),
		HeartbeatAt: time.Now(), Counts: map[string]int{"contacts.to_app.read": 10}})
	b := webtest.Chrome(t)
	webtest.SignIn(t, b, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	row := fmt.Sprintf(`#runs-live tr[data-run="%d"]`, run.ID)
	webtest.Do(t, b, "open the activity", chromedp.Navigate(fmt.Sprintf("%s/connections/%d/activity", p.Ours.URL, conn.ID)),
		chromedp.WaitVisible(chromedp.CSS(row)))
	markPage(t, b)
	if got := webtest.Text(t, b, row); !strings.Contains(got, "running for") || !strings.Contains(got, "10 read") {
		t.Fatalf("the running run reads %q", got)
	}
	run.Counts = map[string]int{"contacts.to_app.read": 250, "contacts.to_app.created": 40}
	run = save(run)
	waitText(t, b, "the progress shows within 5 s", row, "250 read, 40 created")
	run.Status, run.FinishedAt = "succeeded", time.Now()
	save(run)
	waitText(t, b, "the end shows within 5 s", row, "succeeded")
	stillSamePage(t, b)
}

// A poll of the live status finds it unchanged (204, which htmx leaves
// alone, keeping the focus on its buttons) until the status changes.
func TestLiveStatusAnswersOnlyChanges(t *testing.T) {
	p, conn := connected(t)
	ctx := context.Background()
	// Paused, so that no run starts and changes the part meanwhile.
	if _, err := p.Ours.Hub.Connections.Pause(ctx, p.Admin, conn.ID); err != nil {
		t.Fatal(err)
	}
	admin := p.Ours.Browser()
	admin.SignIn(t, p.Second.Email)
	path := fmt.Sprintf("/connections/%d", conn.ID)
	_, _, page := admin.Page(t, http.MethodGet, path, nil)
	m := regexp.MustCompile(`hx-vals='\{"seen": "([0-9a-z]+)"\}'`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the status part has no version:\n%s", page)
	}
	part := path + "/status/part?seen=" + m[1]
	if status, _, body := admin.Page(t, http.MethodGet, part, nil); status != http.StatusNoContent {
		t.Fatalf("a poll of the unchanged status: %d\n%s", status, body)
	}
	if _, err := p.Ours.Hub.Connections.Resume(ctx, p.Admin, conn.ID); err != nil {
		t.Fatal(err)
	}
	if status, _, body := admin.Page(t, http.MethodGet, part, nil); status != http.StatusOK || !strings.Contains(body, "status-active") {
		t.Fatalf("a poll after the resume: %d\n%s", status, body)
	}
}

// A deleted connection changes no more: its live parts stop polling, the
// one the delete answers with included.
func TestDeletedConnectionStopsPolling(t *testing.T) {
	p, conn := connected(t)
	if err := p.Ours.Hub.Connections.Delete(context.Background(), p.Admin, conn.ID); err != nil {
		t.Fatal(err)
	}
	admin := p.Ours.Browser()
	admin.SignIn(t, p.Second.Email)
	path := fmt.Sprintf("/connections/%d", conn.ID)
	for _, page := range []string{path, path + "/status/part", path + "/activity", path + "/activity/part"} {
		status, _, body := admin.Page(t, http.MethodGet, page, nil)
		if status != http.StatusOK || strings.Contains(body, "hx-trigger") {
			t.Errorf("%s of a deleted connection: %d, still polling: %v", page, status, strings.Contains(body, "hx-trigger"))
		}
	}
}

package web_test

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// opsBundle is a hub with its background work running (webhook deliveries
// among it) and a receiver that answers every webhook 202.
type opsBundle struct {
	env      *hubtest.Env
	receiver *httptest.Server
	received atomic.Int32
}

func setupOps(t *testing.T) *opsBundle {
	t.Helper()
	b := &opsBundle{env: hubtest.New(t, hubtest.SQLite)}
	b.receiver = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(audit.HeaderSignature) == "" {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		b.received.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(b.receiver.Close)
	bg, stop := context.WithCancel(context.Background())
	done := b.env.Hub.Background(bg)
	t.Cleanup(func() { stop(); <-done })
	return b
}

// seedAudit records events of several actions and actors, as people using
// the hub would.
func (b *opsBundle) seedAudit(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ana := audit.Actor{ID: 2, Label: "ana@example.com"}
	for i, u := range []string{"https://receiver.example.org/a", "https://receiver.example.org/b", "https://alerts.example.net/hubsync"} {
		actor := ana
		if i == 2 {
			actor = audit.CLI
		}
		h, _, err := b.env.Hub.Webhooks.Create(ctx, actor, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := b.env.Hub.Webhooks.Delete(ctx, ana, h.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := b.env.Hub.Grants.ChangePolicy(ctx, ana, oauth.PolicyRevokeOnCredentialsChange, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.env.Hub.Grants.ChangePolicy(ctx, audit.CLI, oauth.PolicyRevokeOnCredentialsChange, true); err != nil {
		t.Fatal(err)
	}
}

// Filter the audit log by action in the browser, then export the same
// selection as CSV: every row is of that action, and every one is there.
func TestAuditLogFilterAndExportInTheBrowser(t *testing.T) {
	b := setupOps(t)
	b.seedAudit(t)
	ctx := webtest.Chrome(t)
	webtest.SignIn(t, ctx, b.env.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, ctx, "open the audit log", chromedp.Navigate(b.env.URL+"/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	all := webtest.Get(t, ctx, "count every event", chromedp.Evaluate[int](`document.querySelectorAll("table.audit tbody tr").length`))
	if all < 6 {
		t.Fatalf("the unfiltered log shows %d events, want the 6 seeded at least", all)
	}
	webtest.Do(t, ctx, "filter by action",
		chromedp.SendKeys(chromedp.CSS("#f-action"), "webhook.create"),
		chromedp.Click(chromedp.CSS(".audit-filters button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/audit"].button`)),
	)
	if got := webtest.Get(t, ctx, "read the query", chromedp.Evaluate[string](`location.search`)); !strings.Contains(got, "action=webhook.create") {
		t.Errorf("the filter is not in the page's address: %q", got)
	}
	actions := webtest.Get(t, ctx, "read the actions", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("table.audit tbody td.action")].map(td => td.textContent.trim())`))
	if len(actions) != 3 {
		t.Fatalf("filtered by webhook.create the log shows %v, want 3 rows", actions)
	}
	for _, a := range actions {
		if a != "webhook.create" {
			t.Errorf("filtered by webhook.create the log shows %q", a)
		}
	}

	text := webtest.Get(t, ctx, "download the CSV", chromedp.Evaluate[string](
		`fetch(document.querySelector("#audit-csv").href).then(r => r.ok ? r.text() : "HTTP " + r.status)`, chromedp.EvalAwaitPromise))
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, text)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != "seq,at,actor,actor_id,action,target_type,target_id,before,after" {
		t.Fatalf("the export has %d rows, want a header and 3:\n%s", len(rows), text)
	}
	wantActors := []string{"cli", "ana@example.com", "ana@example.com"} // newest first
	wantURLs := []string{"alerts.example.net/hubsync", "receiver.example.org/b", "receiver.example.org/a"}
	for i, r := range rows[1:] {
		if r[4] != "webhook.create" || r[5] != "webhook" || r[2] != wantActors[i] || !strings.Contains(r[8], wantURLs[i]) {
			t.Errorf("CSV row %d = %q, want webhook.create by %s of %s", i+1, r, wantActors[i], wantURLs[i])
		}
		if _, err := time.Parse(time.RFC3339, r[1]); err != nil {
			t.Errorf("CSV row %d time %q: %v", i+1, r[1], err)
		}
	}

	// A time range with nothing in it, and one that cannot be read.
	webtest.Do(t, ctx, "filter by a past range", chromedp.Navigate(b.env.URL+"/audit?until=2000-01-01"),
		chromedp.WaitVisible(chromedp.CSS("p.empty")))
	webtest.Do(t, ctx, "filter by a bad time", chromedp.Navigate(b.env.URL+"/audit?since=soon"),
		chromedp.WaitVisible(chromedp.CSS("p.error")))
	if msg := webtest.Text(t, ctx, "p.error"); !strings.Contains(msg, `Since "soon" must be a time`) {
		t.Errorf("a bad time says %q", msg)
	}
}

// Create a webhook in settings (its secret shown once), send a test event
// and see its delivery and the receiver's answer without reloading; delete
// the webhook through its confirmation page.
func TestWebhookTestEventInTheBrowser(t *testing.T) {
	b := setupOps(t)
	ctx := webtest.Chrome(t)
	webtest.SignIn(t, ctx, b.env.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, ctx, "open settings", chromedp.Navigate(b.env.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS("#webhook-url")))
	if got := webtest.Text(t, ctx, ".settings-url"); !strings.Contains(got, b.env.URL) || !strings.Contains(got, "--public-url") {
		t.Errorf("the public URL section says %q, want %s and how it is set", got, b.env.URL)
	}
	webtest.Do(t, ctx, "create a webhook",
		chromedp.SendKeys(chromedp.CSS("#webhook-url"), b.receiver.URL+"/hook?token=receiver-token"),
		chromedp.Click(chromedp.CSS(".new-webhook button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#new-secret")),
	)
	secret := webtest.Text(t, ctx, "#new-secret .secret-value")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the new webhook's secret shows as %q", secret)
	}
	if h := webtest.Text(t, ctx, "#webhook-1 h3"); strings.Contains(h, "receiver-token") {
		t.Errorf("the webhook's heading shows its query: %q", h)
	}
	webtest.Do(t, ctx, "send a test event",
		chromedp.Navigate(b.env.URL+"/settings"),
		chromedp.WaitVisible(chromedp.CSS("#webhook-1")),
	)
	if html := webtest.Get(t, ctx, "read the page", chromedp.Evaluate[string](`document.body.innerHTML`)); strings.Contains(html, secret) ||
		strings.Contains(html, "receiver-token") {
		t.Fatal("the settings page shows the secret or the URL's token again")
	}
	webtest.Do(t, ctx, "send a test event",
		chromedp.Click(chromedp.CSS("#webhook-1 button")),
		chromedp.WaitVisible(chromedp.CSS("#deliveries-1 tbody tr")),
	)
	// The delivery is made by the hub's background work and the row
	// refreshes itself: wait up to 10 s for the answer, without reloading.
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(waitCtx, chromedp.Poll[bool](
		`(document.querySelector("#deliveries-1 td.answer")||{}).textContent === "HTTP 202"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		ds, _ := b.env.Hub.Webhooks.Deliveries(context.Background(), 1, 5)
		t.Fatalf("the receiver's answer did not show within 10 s: %v; the row says %q; the deliveries are %+v",
			err, webtest.Text(t, ctx, "#deliveries-1"), ds)
	}
	row := webtest.Text(t, ctx, "#deliveries-1 tbody tr")
	for _, want := range []string{"webhook.test", "delivered", "HTTP 202"} {
		if !strings.Contains(row, want) {
			t.Errorf("the delivery row %q lacks %q", row, want)
		}
	}
	if b.received.Load() != 1 {
		t.Errorf("the receiver got %d signed requests, want 1", b.received.Load())
	}

	webtest.Do(t, ctx, "delete the webhook",
		chromedp.Click(chromedp.CSS("#webhook-1 a.danger")),
		chromedp.WaitVisible(chromedp.CSS(".confirm button.danger")),
	)
	webtest.Do(t, ctx, "confirm", chromedp.Click(chromedp.CSS(".confirm button.danger")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	hooks, err := b.env.Hub.Webhooks.List(context.Background())
	if err != nil || len(hooks) != 0 {
		t.Errorf("after deleting, webhooks = %+v, %v", hooks, err)
	}
}

// Change the credentials-change policy in settings: the hub's value
// changes and the audit log says who changed it.
func TestPolicyChangeInTheBrowser(t *testing.T) {
	b := setupOps(t)
	ctx := webtest.Chrome(t)
	webtest.SignIn(t, ctx, b.env.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, ctx, "open settings", chromedp.Navigate(b.env.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS("#policy-off")))
	if s := webtest.Text(t, ctx, "#policy-state"); s != "on" {
		t.Fatalf("the policy shows %q, want on (the default)", s)
	}
	webtest.Do(t, ctx, "choose off", chromedp.Click(chromedp.CSS("#policy-off")))
	webtest.Submit(t, ctx, "turn the policy off", "#policy-save", ".notice")
	if s := webtest.Text(t, ctx, "#policy-state"); s != "off" {
		t.Errorf("after saving, the policy shows %q, want off", s)
	}
	on, err := oauth.Policy(context.Background(), b.env.Hub.Store, oauth.PolicyRevokeOnCredentialsChange)
	if err != nil || on {
		t.Errorf("the hub's policy = %v, %v; want off", on, err)
	}
	webtest.Do(t, ctx, "open the policy's history", chromedp.Click(chromedp.CSS(`a[href^="/audit?target_type=policy"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.audit")))
	if row := webtest.Text(t, ctx, "table.audit tbody tr"); !strings.Contains(row, "admin@example.com") ||
		!strings.Contains(row, "policy.set") || !strings.Contains(row, "true → false") {
		t.Errorf("the policy's history shows %q", row)
	}
	events, err := b.env.Hub.Audit.List(context.Background(), store.AuditQuery{Action: "policy.set"})
	if err != nil || len(events) != 1 || events[0].Actor != "admin@example.com" || events[0].After["value"] != "false" {
		t.Errorf("audit of the change: %+v, %v", events, err)
	}
}

// A member is not offered settings or the audit log, and the server
// refuses them anyway, forged form or not.
func TestMemberCannotReachSettings(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "member@example.com", identity.RoleMember, nil)
	br := env.Browser()
	br.SignIn(t, "member@example.com")
	_, _, home := br.Page(t, http.MethodGet, "/home", nil)
	if strings.Contains(home, `href="/settings"`) || strings.Contains(home, `href="/audit"`) {
		t.Error("a member's menu offers settings or the audit log")
	}
	csrf := hubtest.CSRF(t, home)
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodGet, "/settings", nil},
		{http.MethodGet, "/audit", nil},
		{http.MethodGet, "/audit.csv", nil},
		{http.MethodPost, "/settings/webhooks", url.Values{"csrf": {csrf}, "url": {"https://evil.example/hook"}}},
		{http.MethodPost, "/settings/policies/" + oauth.PolicyRevokeOnCredentialsChange, url.Values{"csrf": {csrf}, "value": {"false"}}},
	} {
		if status, _, _ := br.Page(t, tc.method, tc.path, tc.form); status != http.StatusForbidden {
			t.Errorf("%s %s as a member: %d, want 403", tc.method, tc.path, status)
		}
	}
	if hooks, _ := env.Hub.Webhooks.List(context.Background()); len(hooks) != 0 {
		t.Errorf("a member's forged form made a webhook: %+v", hooks)
	}
	if on, _ := oauth.Policy(context.Background(), env.Hub.Store, oauth.PolicyRevokeOnCredentialsChange); !on {
		t.Error("a member's forged form changed the policy")
	}
}

// TestScreenshotsOps writes every page of the audit log and settings, with
// realistic data in them.
func TestScreenshotsOps(t *testing.T) {
	b := setupOps(t)
	b.seedAudit(t)
	ctx := context.Background()
	h, _, err := b.env.Hub.Webhooks.Create(ctx, audit.CLI, b.receiver.URL+"/hubsync", []string{audit.EventBroken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.env.Hub.Webhooks.SendTest(ctx, audit.CLI, h.ID); err != nil {
		t.Fatal(err)
	}
	// A receiver that is down answers 503: its delivery waits for a retry.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	h2, _, err := b.env.Hub.Webhooks.Create(ctx, audit.Actor{ID: 2, Label: "ana@example.com"}, down.URL+"/ops-alerts", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.env.Hub.Webhooks.SendTest(ctx, audit.Actor{ID: 2, Label: "ana@example.com"}, h2.ID); err != nil {
		t.Fatal(err)
	}
	br := webtest.Chrome(t)
	webtest.SignIn(t, br, b.env.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, br, "open the audit log", chromedp.Navigate(b.env.URL+"/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	webtest.Shot(t, br, "audit-log")
	webtest.Do(t, br, "filter the audit log", chromedp.Navigate(b.env.URL+"/audit?action=webhook.&since=7d"),
		chromedp.WaitVisible(chromedp.CSS("table.audit")))
	webtest.Shot(t, br, "audit-log-filtered")
	webtest.Do(t, br, "open settings", chromedp.Navigate(b.env.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS("#webhooks")))
	webtest.Get(t, br, "wait for the deliveries' answers", chromedp.Poll[bool](
		`[...document.querySelectorAll("td.answer")].some(td => td.textContent === "HTTP 202") &&
		 [...document.querySelectorAll("td.answer")].some(td => td.textContent === "HTTP 503")`,
		chromedp.WithPollingTimeout(10*time.Second)))
	webtest.Shot(t, br, "settings")
	webtest.Do(t, br, "open a webhook's delete confirmation", chromedp.Navigate(b.env.URL+"/settings/webhooks/1/delete"),
		chromedp.WaitVisible(chromedp.CSS(".confirm")))
	webtest.Shot(t, br, "settings-webhook-delete")
}

// The audit log pages by 50, newest first, keeping the filter; the CSV
// export has every event the filter selects, not only one page.
func TestAuditLogPagesAndExportsEverything(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	ctx := context.Background()
	for i := range 60 {
		if _, _, err := env.Hub.Webhooks.Create(ctx, audit.CLI, "https://receiver.example.org/"+strconv.Itoa(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Hub.Grants.ChangePolicy(ctx, audit.CLI, oauth.PolicyRevokeOnCredentialsChange, false); err != nil {
		t.Fatal(err)
	}
	env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	br := env.Browser()
	br.SignIn(t, "boss@example.com")
	rows := regexp.MustCompile(`<tr id="event-(\d+)">`)
	status, _, page := br.Page(t, http.MethodGet, "/audit?action=webhook.create", nil)
	first := rows.FindAllStringSubmatch(page, -1)
	if status != http.StatusOK || len(first) != 50 || first[0][1] != "60" || first[49][1] != "11" {
		t.Fatalf("first page: %d, %d rows from %v", status, len(first), first[:min(1, len(first))])
	}
	older := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(page)
	if older == nil || !strings.Contains(older[1], "action=webhook.create") {
		t.Fatalf("the first page has no link to older events that keeps the filter")
	}
	_, _, page = br.Page(t, http.MethodGet, html.UnescapeString(older[1]), nil)
	second := rows.FindAllStringSubmatch(page, -1)
	if len(second) != 10 || second[0][1] != "10" || second[9][1] != "1" || strings.Contains(page, `rel="next"`) ||
		!strings.Contains(page, "Newest") {
		t.Errorf("second page: %d rows, from %v; want events 10 to 1, a way back and no older page", len(second), second[:min(1, len(second))])
	}
	status, _, body := br.Page(t, http.MethodGet, "/audit.csv?action=webhook.create", nil)
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if status != http.StatusOK || err != nil || len(records) != 61 {
		t.Fatalf("export: %d, %v, %d rows; want a header and 60", status, err, len(records))
	}
	_, _, page = br.Page(t, http.MethodGet, "/audit?actor=cli&action=policy.&since=1h", nil)
	if got := rows.FindAllStringSubmatch(page, -1); len(got) != 1 || got[0][1] != "61" || !strings.Contains(page, `<option value="boss@example.com">`) {
		t.Errorf("filtered by actor, kind of action and time: %v; want event 61 only, and the users suggested as actors", got)
	}
	if status, _, _ := br.Page(t, http.MethodGet, "/audit.csv?until=yesterday", nil); status != http.StatusBadRequest {
		t.Errorf("export with an unreadable time: %d, want 400", status)
	}
}

// A value a spreadsheet would run as a formula is exported as text.
func TestAuditExportKeepsFormulasText(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	err := env.Hub.Store.Update(context.Background(), func(tx store.Tx) error {
		return audit.Record(context.Background(), tx, time.Now(), audit.Actor{Label: "=HYPERLINK(\"http://evil\")"}, "connection.create",
			"connection", "1", nil, map[string]string{"name": "+1 sales"})
	})
	if err != nil {
		t.Fatal(err)
	}
	env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	br := env.Browser()
	br.SignIn(t, "boss@example.com")
	_, _, body := br.Page(t, http.MethodGet, "/audit.csv", nil)
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("export: %v\n%s", err, body)
	}
	if got := records[1][2]; got != `'=HYPERLINK("http://evil")` {
		t.Errorf("actor cell = %q, want it quoted as text", got)
	}
	if got := records[1][8]; got != "name=+1 sales" {
		t.Errorf("after cell = %q", got)
	}
}

// A webhook the domain refuses is not made: the page says why and keeps
// what was typed; a test event for a missing webhook is not found.
func TestWebhookFormRefusals(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	br := env.Browser()
	br.SignIn(t, "boss@example.com")
	_, _, page := br.Page(t, http.MethodGet, "/settings", nil)
	csrf := hubtest.CSRF(t, page)
	status, _, page := br.Page(t, http.MethodPost, "/settings/webhooks", url.Values{"csrf": {csrf},
		"url": {"ftp://receiver.example.org/hook"}, "events": {audit.EventBroken}})
	if status != http.StatusBadRequest || !strings.Contains(page, "must be an absolute http(s) URL") ||
		!strings.Contains(page, `value="ftp://receiver.example.org/hook"`) || strings.Contains(page, "whsec_") {
		t.Errorf("a refused webhook: %d\n%s", status, page)
	}
	if !strings.Contains(page, `value="connection.broken" checked`) || strings.Contains(page, `value="connection.recovered" checked`) {
		t.Error("the refused form does not keep the events chosen")
	}
	if hooks, _ := env.Hub.Webhooks.List(context.Background()); len(hooks) != 0 {
		t.Errorf("a refused webhook was made: %+v", hooks)
	}
	if status, _, _ := br.Page(t, http.MethodPost, "/settings/webhooks/9/send-test", url.Values{"csrf": {csrf}}); status != http.StatusNotFound {
		t.Errorf("a test event for a missing webhook: %d, want 404", status)
	}
	if status, _, _ := br.Page(t, http.MethodGet, "/settings/webhooks/9/delete", nil); status != http.StatusNotFound {
		t.Errorf("deleting a missing webhook: %d, want 404", status)
	}
}

package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// syncBundle is a pair of hubs with a connection of Ours to Acme whose
// contacts sync ran once, with contacts on both sides.
type syncBundle struct {
	p      *webtest.Pair
	conn   store.Connection
	syncID int64
	// ada is Ada's record in Ours.
	ada int64
}

// syncSetup connects Ours to Acme for contacts and companies, syncs
// contacts (email, firstname, jobtitle) and runs it once: Ada, Bob and Cy
// start in Ours, Dee in Acme, and Ada in both.
func syncSetup(t *testing.T, backend hubtest.Backend) syncBundle {
	t.Helper()
	ctx := context.Background()
	p := webtest.NewPair(t, backend)
	conn := p.Connect(t, connection.NewConnection{Owner: p.Connector.Email, Objects: []string{"contacts", "companies"}})
	ada := syncCreate(t, p.Ours, map[string]string{"email": "ada@example.com", "firstname": "Ada", "jobtitle": "Engineer"})
	syncCreate(t, p.Ours, map[string]string{"email": "bob@example.com", "firstname": "Bob"})
	syncCreate(t, p.Ours, map[string]string{"email": "cy@example.com", "firstname": "Cy"})
	syncCreate(t, p.Acme, map[string]string{"email": "ada@example.com"})
	syncCreate(t, p.Acme, map[string]string{"email": "dee@example.com", "firstname": "Dee"})
	// The sync comes last, so that no run sees only some of the records.
	os, err := p.Ours.Hub.Syncer.AddObjectSync(ctx, p.Admin, conn.ID, syncer.ObjectSyncInput{HubObject: "contacts",
		Mappings: []store.FieldMapping{{Hub: "email", App: "email", Type: "text"}, {Hub: "firstname", App: "firstname", Type: "text"},
			{Hub: "jobtitle", App: "jobtitle", Type: "text"}}})
	if err != nil {
		t.Fatal(err)
	}
	b := syncBundle{p: p, conn: conn, syncID: os.ID, ada: ada.ID}
	b.runOnce(t, syncer.RunSucceeded)
	if got := syncContacts(t, p.Acme); len(got) != 4 || got["ada@example.com"]["jobtitle"] != "Engineer" {
		t.Fatalf("Acme after the first run: %v", got)
	}
	return b
}

func syncCreate(t *testing.T, env *hubtest.Env, props map[string]string) store.Record {
	t.Helper()
	rec, err := env.Hub.CRM.Create(context.Background(), "test", "contacts", props)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// syncContacts are a hub's live contacts by email.
func syncContacts(t *testing.T, env *hubtest.Env) map[string]map[string]string {
	t.Helper()
	recs, _, err := env.Hub.CRM.List(context.Background(), "contacts", false, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, r := range recs {
		out[r.Props["email"]] = r.Props
	}
	return out
}

// runOnce asks for a run and waits (up to 20 s) for it to end as want.
func (b syncBundle) runOnce(t *testing.T, want string) store.SyncRun {
	t.Helper()
	ctx := context.Background()
	after, since := b.lastRun(t).ID, time.Now().Add(-time.Millisecond)
	if err := b.p.Ours.Hub.Enqueue(ctx, b.conn.ID, "manual"); err != nil {
		t.Fatal(err)
	}
	return b.waitRunSince(t, after, since, want)
}

// waitRun waits (up to 20 s) for a run after the run numbered after to
// end, and checks it ended as want.
func (b syncBundle) waitRun(t *testing.T, after int64, want string) store.SyncRun {
	t.Helper()
	return b.waitRunSince(t, after, time.Time{}, want)
}

// waitRunSince is waitRun for a run that started at or after since: one
// under way when a run was asked for may have read the records before the
// last changes.
func (b syncBundle) waitRunSince(t *testing.T, after int64, since time.Time, want string) store.SyncRun {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := b.lastRun(t)
		if r.ID > after && r.Status != syncer.RunRunning && !r.StartedAt.Before(since) {
			if r.Status != want {
				t.Fatalf("run %d ended %s, want %s: %s", r.ID, r.Status, want, r.Error)
			}
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run after %d ended within 20 s (last: %+v)", after, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b syncBundle) lastRun(t *testing.T) store.SyncRun {
	t.Helper()
	runs, err := b.p.Ours.Hub.Syncer.Runs(context.Background(), b.conn.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		return store.SyncRun{}
	}
	return runs[0]
}

// breakMapping stores a mapping of jobtitle to a field Acme lacks, as a
// sync saved before mappings were checked holds it, and runs: the run
// fails as mapping_invalid and the connection says so.
func (b syncBundle) breakMapping(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	err := b.p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) error {
		os, err := tx.ObjectSync(ctx, b.syncID)
		if err != nil {
			return err
		}
		os.Mappings[2].App = "job_title"
		return tx.UpdateObjectSync(ctx, os)
	})
	if err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, syncer.RunFailed)
	b.waitStatus(t, "the connection to say the mapping is wrong", func(c store.Connection) bool {
		return c.Reason == connector.ReasonMappingInvalid && strings.Contains(c.ReasonMessage, "job_title")
	})
}

// waitStatus waits (up to 10 s) for the connection to be as ok says: the
// run's end is recorded just before the connection hears of it.
func (b syncBundle) waitStatus(t *testing.T, what string, ok func(store.Connection) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := b.p.Ours.Hub.Connections.Get(context.Background(), b.conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok(c) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s: the connection is %s (%s: %s)", what, c.Status, c.Reason, c.ReasonMessage)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b syncBundle) syncPage() string {
	return b.p.Ours.URL + "/connections/" + strconv.FormatInt(b.conn.ID, 10) + "/sync"
}

// TestScreenshotsSyncSettings is the story "fix a mapping with the dry
// run": an object sync maps jobtitle to a field Acme lacks, and the sync
// settings page shows the connection's reason; the admin edits the mapping,
// Preview counts what the next run would create and update on each side
// (records made and changed while it was broken) without writing anything,
// "Save and sync" saves it and the run succeeds, delivering them. It keeps
// a screenshot of the sync settings, the edit form with a dry run's
// result, the add form and the remove confirmation.
func TestScreenshotsSyncSettings(t *testing.T) {
	b := syncSetup(t, hubtest.SQLite)
	ctx := context.Background()
	b.breakMapping(t)
	// While it is broken: Eve joins Acme, Fay joins Ours, and Ada's first
	// name changes in Ours.
	syncCreate(t, b.p.Acme, map[string]string{"email": "eve@example.com", "firstname": "Eve"})
	syncCreate(t, b.p.Ours, map[string]string{"email": "fay@example.com", "firstname": "Fay"})
	if _, err := b.p.Ours.Hub.CRM.Update(ctx, "test", "contacts", strconv.FormatInt(b.ada, 10), "", map[string]string{"firstname": "Adaline"}); err != nil {
		t.Fatal(err)
	}
	acmeBefore := syncContacts(t, b.p.Acme)

	br := webtest.Chrome(t)
	webtest.SignIn(t, br, b.p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, br, "open the sync settings", chromedp.Navigate(b.syncPage()), chromedp.WaitVisible(chromedp.CSS(`#sync-`+strconv.FormatInt(b.syncID, 10))))
	if reason := webtest.Text(t, br, "#conn-reason"); !strings.Contains(reason, "job_title") {
		t.Fatalf("the sync settings do not show the connection's reason: %q", reason)
	}
	if fields := webtest.Text(t, br, "table.sync-mappings"); !strings.Contains(fields, "job_title") {
		t.Fatalf("the mappings do not show the wrong field: %q", fields)
	}
	webtest.Shot(t, br, "sync-settings")

	webtest.Do(t, br, "open the edit form", chromedp.Click(chromedp.CSS(`#sync-`+strconv.FormatInt(b.syncID, 10)+` a[href$="/edit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#preview-button`)))
	if v := webtest.Get(t, br, "read the mapping", chromedp.Value(chromedp.CSS(`#map-app-2`))); v != "job_title" {
		t.Fatalf("the third mapping's external field is %q", v)
	}
	webtest.Do(t, br, "fix the mapping and preview", chromedp.SetValue(chromedp.CSS(`#map-app-2`), "jobtitle"),
		chromedp.Click(chromedp.CSS(`#preview-button`)), chromedp.WaitVisible(chromedp.CSS(`#preview`)))
	counts := map[string]string{}
	for _, id := range []string{"app-create", "app-update", "app-excluded", "hub-create", "hub-update", "hub-excluded", "matched", "conflicts"} {
		counts[id] = webtest.Text(t, br, "#preview-"+id)
	}
	// Fay to create on Acme and Ada's new name to update there; Eve to
	// create in Ours; nothing else differs.
	want := map[string]string{"app-create": "1", "app-update": "1", "app-excluded": "0", "hub-create": "1", "hub-update": "0",
		"hub-excluded": "0", "matched": "0", "conflicts": "0"}
	for k, w := range want {
		if counts[k] != w {
			t.Errorf("preview %s = %q, want %s (all: %v)", k, counts[k], w, counts)
		}
	}
	if v := webtest.Get(t, br, "read the mapping after the preview", chromedp.Value(chromedp.CSS(`#map-app-2`))); v != "jobtitle" {
		t.Fatalf("the preview lost the edit: %q", v)
	}
	webtest.Shot(t, br, "sync-edit-preview")
	if got := syncContacts(t, b.p.Acme); len(got) != len(acmeBefore) || got["ada@example.com"]["firstname"] != acmeBefore["ada@example.com"]["firstname"] {
		t.Fatalf("the preview wrote to Acme: %v", got)
	}
	if os := syncObjectSync(t, b); os.Mappings[2].App != "job_title" {
		t.Fatalf("the preview saved the mapping: %+v", os.Mappings)
	}

	after := b.lastRun(t).ID
	webtest.Do(t, br, "save and sync", chromedp.Click(chromedp.CSS(`#save-sync-button`)), chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	if path := webtest.Path(t, br); path != "/connections/"+strconv.FormatInt(b.conn.ID, 10)+"/sync" {
		t.Fatalf("after saving the browser is on %s", path)
	}
	// The page shows the run asked for end, without a reload (within 20 s).
	webtest.Get(t, br, "see the run end on the page", chromedp.Poll[bool](
		`(document.querySelector('#sync-lastrun')?.textContent || '').includes('succeeded')`, chromedp.WithPollingTimeout(20*time.Second)))
	if text := webtest.Text(t, br, "#sync-lastrun"); !strings.Contains(text, "0 failed") {
		t.Fatalf("the last run on the page: %q", text)
	}
	webtest.Get(t, br, "see the connection turn active on the page", chromedp.Poll[bool](
		`(document.querySelector('#sync-live .badge')?.textContent || '').includes('active') && !document.querySelector('#conn-reason')`,
		chromedp.WithPollingTimeout(10*time.Second)))
	b.waitRun(t, after, syncer.RunSucceeded)
	webtest.Shot(t, br, "sync-settings-saved")
	acme := syncContacts(t, b.p.Acme)
	if acme["fay@example.com"] == nil || acme["ada@example.com"]["firstname"] != "Adaline" || syncContacts(t, b.p.Ours)["eve@example.com"] == nil {
		t.Fatalf("the run after the fix did not deliver what the preview counted: Acme %v", acme)
	}
	b.waitStatus(t, "the connection to be active after the fix", func(c store.Connection) bool { return c.Status == connection.StatusActive })

	webtest.Do(t, br, "open the add form", chromedp.Navigate(b.syncPage()+"/new?object=companies"), chromedp.WaitVisible(chromedp.CSS(`#preview-button`)))
	webtest.Shot(t, br, "sync-add")
	webtest.Do(t, br, "open the remove confirmation", chromedp.Navigate(b.syncPage()+"/"+strconv.FormatInt(b.syncID, 10)+"/remove"),
		chromedp.WaitVisible(chromedp.CSS(`button.danger`)))
	if pairs := webtest.Text(t, br, "#sync-pairs"); pairs != "6" {
		t.Errorf("the removal says it forgets %s pairs, want the 6 contacts paired", pairs)
	}
	webtest.Shot(t, br, "sync-remove")
}

func syncObjectSync(t *testing.T, b syncBundle) store.ObjectSync {
	t.Helper()
	syncs, err := b.p.Ours.Hub.Syncer.ObjectSyncs(context.Background(), b.conn.ID)
	if err != nil || len(syncs) != 1 {
		t.Fatalf("object syncs: %v %v", syncs, err)
	}
	return syncs[0]
}

// The dry run through the admin API counts what filters leave out, refuses
// what saving would refuse, and writes nothing; disable, enable and remove
// work from the page's forms, and a member is refused all of them. On
// every backend.
func TestSyncSettingsDryRunAPIAndForms(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) { syncDryRunAPIAndForms(t, backend) })
	}
}

func syncDryRunAPIAndForms(t *testing.T, backend hubtest.Backend) {
	b := syncSetup(t, backend)
	id := strconv.FormatInt(b.conn.ID, 10)
	syncID := strconv.FormatInt(b.syncID, 10)
	// With the mapping broken, the runs the new records set off write
	// nothing, so whatever Acme holds after the dry runs, they wrote.
	b.breakMapping(t)
	syncCreate(t, b.p.Ours, map[string]string{"email": "gus@example.com", "firstname": "Gus"})
	syncCreate(t, b.p.Ours, map[string]string{"email": "hal@example.com", "firstname": "Hal"})

	// A dry run of the sync as it is fails as its runs do.
	res := b.p.Ours.AdminDo(t, "admin@example.com", http.MethodPost, "/api/v1/connections/"+id+"/syncs/dry-run?sync="+syncID,
		map[string]any{"conflict_rule": "hub_wins"})
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "job_title") {
		t.Fatalf("dry run of a sync whose mapping names a missing field: %d %s", res.Status, res.Body)
	}
	fixed := []map[string]string{{"hub": "email", "app": "email", "type": "text"}, {"hub": "firstname", "app": "firstname", "type": "text"},
		{"hub": "jobtitle", "app": "jobtitle", "type": "text"}}
	res = b.p.Ours.AdminDo(t, "admin@example.com", http.MethodPost, "/api/v1/connections/"+id+"/syncs/dry-run?sync="+syncID,
		map[string]any{"mappings": fixed, "hub_filters": []map[string]string{{"property": "firstname", "operator": "neq", "value": "Hal"}}})
	if res.Status != http.StatusOK {
		t.Fatalf("dry run: %d %s", res.Status, res.Body)
	}
	got := res.JSON(t)
	toApp := got["to_app"].(map[string]any)
	if toApp["create"] != 1.0 || toApp["excluded"] != 1.0 || toApp["update"] != 0.0 || got["hub_read"] != 6.0 {
		t.Fatalf("dry run with a hub filter leaving Hal out: %v", got)
	}
	res = b.p.Ours.AdminDo(t, "admin@example.com", http.MethodPost, "/api/v1/connections/"+id+"/syncs/dry-run?sync="+syncID,
		map[string]any{"mappings": []map[string]string{{"hub": "email", "app": "no_such_field"}}})
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "no_such_field") {
		t.Fatalf("dry run of a mapping naming a missing field: %d %s", res.Status, res.Body)
	}
	res = b.p.Ours.AdminDo(t, "admin@example.com", http.MethodPost, "/api/v1/connections/"+id+"/syncs/dry-run",
		map[string]any{"hub_object": "companies"})
	if res.Status != http.StatusOK || res.JSON(t)["hub_object"] != "companies" {
		t.Fatalf("dry run of an add: %d %s", res.Status, res.Body)
	}
	if os := syncObjectSync(t, b); len(os.HubFilters) != 0 || os.Mappings[2].App != "job_title" || os.ConflictRule != syncer.RuleMostRecent {
		t.Fatalf("a dry run saved: %+v", os)
	}
	if got := syncContacts(t, b.p.Acme); got["gus@example.com"] != nil {
		t.Fatal("a dry run wrote to Acme")
	}

	member := b.p.Ours.Browser()
	member.SignIn(t, b.p.Member.Email)
	_, _, page := member.Page(t, http.MethodGet, "/home", nil)
	token := hubtest.CSRF(t, page)
	for _, path := range []string{"/sync/" + syncID + "/disable", "/sync/" + syncID + "/remove", "/sync/" + syncID + "/edit"} {
		status, _, body := member.Page(t, http.MethodPost, "/connections/"+id+path, url.Values{"csrf": {token}, "action": {"save"}})
		if status != http.StatusForbidden || !strings.Contains(body, "integrations.manage") {
			t.Errorf("a member's POST %s: %d", path, status)
		}
	}
	if status, _, _ := member.Page(t, http.MethodGet, "/connections/"+id+"/sync", nil); status != http.StatusForbidden {
		t.Errorf("a member sees the sync settings: %d", status)
	}
	if !syncObjectSync(t, b).Enabled {
		t.Fatal("a member's refused POST disabled the sync")
	}

	admin := b.p.Ours.Browser()
	admin.SignIn(t, b.p.Second.Email)
	_, _, page = admin.Page(t, http.MethodGet, "/connections/"+id+"/sync", nil)
	token = hubtest.CSRF(t, page)
	if status, _, body := syncPost(t, admin, "/connections/"+id+"/sync/"+syncID+"/disable", url.Values{"csrf": {token}}); status != http.StatusOK ||
		!strings.Contains(body, "is disabled") || !strings.Contains(body, ">Enable<") {
		t.Fatalf("disable: %d\n%s", status, body)
	}
	if syncObjectSync(t, b).Enabled {
		t.Fatal("disable left the sync enabled")
	}
	// Enabling checks every field again, and the mapping is still wrong.
	if status, _, body := syncPost(t, admin, "/connections/"+id+"/sync/"+syncID+"/enable", url.Values{"csrf": {token}}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="sync-problem"`) || !strings.Contains(body, "job_title") || syncObjectSync(t, b).Enabled {
		t.Fatalf("enable with a wrong mapping: %d\n%s", status, body)
	}
	// A form the engine refuses comes back with its sentence and the edits.
	status, _, body := syncPost(t, admin, "/connections/"+id+"/sync/"+syncID+"/edit", url.Values{"csrf": {token}, "action": {"save"},
		"direction": {"two_way"}, "conflict_rule": {"most_recent"}, "map_hub": {"email", "firstname"}, "map_app": {"email", "first_nom"},
		"map_type": {"text", "text"}, "map_dir": {"", ""}, "hub_match_key": {"email"}, "app_match_key": {"email"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "first_nom") || !strings.Contains(body, `id="sync-problem"`) {
		t.Fatalf("a refused edit: %d\n%s", status, body)
	}
	if status, _, body := syncPost(t, admin, "/connections/"+id+"/sync/"+syncID+"/remove", url.Values{"csrf": {token}}); status != http.StatusOK ||
		!strings.Contains(body, "was removed") {
		t.Fatalf("remove: %d\n%s", status, body)
	}
	if syncs, _ := b.p.Ours.Hub.Syncer.ObjectSyncs(context.Background(), b.conn.ID); len(syncs) != 0 {
		t.Fatalf("remove left %v", syncs)
	}
}

// syncPost posts a form as a browser would, following the redirect after
// a change to the page it leads to.
func syncPost(t *testing.T, b *hubtest.Browser, path string, form url.Values) (int, string, string) {
	t.Helper()
	status, loc, body := b.Page(t, http.MethodPost, path, form)
	if status == http.StatusSeeOther {
		return b.Page(t, http.MethodGet, loc, nil)
	}
	return status, loc, body
}

package cli_test

import (
	"context"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// syncBundle is a data-directory hub driven through the command line,
// connected with a private app key to another hub, the external app.
type syncBundle struct {
	*testBundle
	ext *hubtest.Env
	id  string // the connection's id
}

func setupSync(t *testing.T) *syncBundle {
	t.Helper()
	b := &syncBundle{testBundle: setup(t), ext: hubtest.New(t, hubtest.SQLite)}
	token := b.ext.Token(t, hubtest.AllScopes...)
	b.secrets = append(b.secrets, token)
	b.user(t, "ann@example.com", "--role", "admin")
	b.must(t, "", "integrations", "create", "--name", "other-hub", "--provider", "hubspot", "--auth", "private_app", "--base-url", b.ext.URL)
	var c connView
	decodeJSON(t, b.must(t, token+"\n", "connections", "create", "--integration", "other-hub", "--name", "crm",
		"--owner", "ann@example.com", "--credential-stdin"), &c)
	b.id = strconv.FormatInt(c.ID, 10)
	return b
}

// local opens the command line's hub for fn, as a second process would.
func (b *syncBundle) local(t *testing.T, fn func(h *hub.Hub)) {
	t.Helper()
	h, err := hub.Open(context.Background(), config.Config{DataDir: b.args[1]})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	fn(h)
}

func createContact(t *testing.T, h *hub.Hub, props map[string]string) int64 {
	t.Helper()
	r, err := h.CRM.Create(context.Background(), "test", "contacts", props)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// firstNames maps a hub's live contacts' emails to their first names.
func firstNames(t *testing.T, h *hub.Hub) map[string]string {
	t.Helper()
	recs, _, err := h.CRM.List(context.Background(), "contacts", false, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs {
		out[r.Props["email"]] = r.Props["firstname"]
	}
	return out
}

type runView struct {
	ID      int64
	Trigger string
	Status  string
	Counts  map[string]int
	Error   string
}

type recordErrorView struct {
	ID         int64
	Side       string `json:"refused_by"`
	HubID      int64  `json:"hub_id"`
	ExternalID string `json:"external_id"`
	Reason     string
	Message    string
	Attempts   int
	ResolvedAt *string `json:"resolved_at"`
}

func TestSyncConfigRefusesBadFlags(t *testing.T) {
	b := setupSync(t)
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--object", "contacts", "--map", "firstname"}, `--map "firstname" must be hub=app[:type[:direction]]`},
		{[]string{"--object", "contacts", "--map", "firstname=first:text:two_way:extra"}, "must be hub=app"},
		{[]string{"--object", "contacts", "--map", "firstname=first_name:text:sideways"}, `field firstname: unknown direction "sideways"`},
		{[]string{"--object", "contacts", "--map", "firstname=first_name:colour"}, `field firstname: unknown type "colour"`},
		{[]string{"--object", "contacts", "--direction", "sideways"}, `direction must be two_way, to_hub or to_app, not "sideways"`},
		{[]string{"--object", "contacts", "--conflict", "loudest"}, "conflict rule must be most_recent, hub_wins or app_wins"},
		{[]string{"--object", "contacts", "--hub-filter", "email"}, `--hub-filter "email" must be property:operator[:value]`},
		{[]string{"--object", "contacts", "--app-filter", "email:like:x"}, `unknown operator "like"`},
		{[]string{"--object", "contacts", "--match-key", "email", "--no-match"}, "not both"},
		{[]string{"--object", "contacts", "--match-key", "email="}, "must be a hub property, or hub=app"},
		{[]string{"--object", "tickets"}, `unknown hub object "tickets"`},
		{[]string{}, `"object" not set`},
	} {
		errOut := b.fails(t, "", append([]string{"connections", "sync-config", "add", b.id}, bad.args...)...)
		if !strings.Contains(errOut, bad.want) {
			t.Errorf("sync-config add %v: %q, want %q", bad.args, errOut, bad.want)
		}
	}
	if errOut := b.fails(t, "", "connections", "sync-config", "add", "99", "--object", "contacts"); !strings.Contains(errOut, "connection 99: not found") {
		t.Errorf("sync-config add to an unknown connection: %q", errOut)
	}
	for _, cmd := range [][]string{{"sync-config", "list", "99"}, {"runs", "99"}, {"errors", "99"}, {"sync-now", "99"}, {"retry", "99", "1"}} {
		if errOut := b.fails(t, "", append([]string{"connections"}, cmd...)...); !strings.Contains(errOut, "connection 99: not found") {
			t.Errorf("%v of an unknown connection: %q", cmd, errOut)
		}
	}
	var syncs []struct{}
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "list", b.id, "--json"), &syncs)
	if len(syncs) != 0 {
		t.Errorf("refused adds left %d object syncs", len(syncs))
	}

	var o struct {
		Mappings         []struct{ Hub, App, Type, Direction string }
		HubFilters       []struct{ Property, Operator, Value string } `json:"hub_filters"`
		HubMatchKey      string                                       `json:"hub_match_key"`
		ConflictRule     string                                       `json:"conflict_rule"`
		PropagateDeletes bool                                         `json:"propagate_deletes"`
	}
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "companies", "--direction", "to_hub",
		"--map", "domain=website", "--map", "name=name:text:to_hub", "--hub-filter", "createdate:gt:2024-01-01T00:00:00Z",
		"--no-match", "--conflict", "app_wins", "--propagate-deletes"), &o)
	if len(o.Mappings) != 2 || o.Mappings[0].App != "website" || o.Mappings[1].Type != "text" || o.Mappings[1].Direction != "to_hub" ||
		len(o.HubFilters) != 1 || o.HubFilters[0].Value != "2024-01-01T00:00:00Z" || o.HubMatchKey != "" ||
		o.ConflictRule != "app_wins" || !o.PropagateDeletes {
		t.Errorf("sync-config add with every flag: %+v", o)
	}
	list := b.must(t, "", "connections", "sync-config", "list", b.id)
	if !regexp.MustCompile(`(?m)^\d+\s+companies\s+companies\s+to_hub\s+-\s+app_wins\s+yes\s+1\s+yes\s+domain=website, name \(to_hub\)$`).MatchString(list) {
		t.Errorf("sync-config list:\n%s", list)
	}
}

func TestSyncNowFromTheCommandLine(t *testing.T) {
	b := setupSync(t)
	var o struct {
		ID          int64
		Direction   string
		Mappings    []struct{ Hub, App string }
		HubMatchKey string `json:"hub_match_key"`
	}
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts"), &o)
	if o.Direction != "two_way" || len(o.Mappings) != 9 || o.HubMatchKey != "email" {
		t.Fatalf("sync-config add with defaults: %+v", o)
	}
	list := b.must(t, "", "connections", "sync-config", "list", b.id)
	if !regexp.MustCompile(`(?m)^` + strconv.FormatInt(o.ID, 10) + `\s+contacts\s+contacts\s+two_way\s+email\s+most_recent\s+no\s+0\s+yes\s+email, firstname, lastname, phone, company, jobtitle, lifecyclestage, city, country$`).MatchString(list) {
		t.Errorf("sync-config list:\n%s", list)
	}

	b.local(t, func(h *hub.Hub) {
		createContact(t, h, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	})
	createContact(t, b.ext.Hub, map[string]string{"email": "bob@example.com", "firstname": "Bob"})

	code, out, errOut := b.run(t, "", "connections", "sync-now", b.id, "--follow")
	if code != 0 {
		t.Fatalf("sync-now --follow: exit %d: %s", code, errOut)
	}
	var r runView
	decodeJSON(t, out, &r)
	if r.Status != "succeeded" || r.Trigger != "manual" || r.Counts["contacts.to_app.created"] != 1 || r.Counts["contacts.to_hub.created"] != 1 {
		t.Errorf("sync-now --follow printed %+v", r)
	}
	if !strings.Contains(errOut, "sync run "+strconv.FormatInt(r.ID, 10)+": ") || !strings.Contains(errOut, " read, 2 written") {
		t.Errorf("sync-now --follow drew no progress: %q", errOut)
	}
	want := map[string]string{"ada@example.com": "Ada", "bob@example.com": "Bob"}
	b.local(t, func(h *hub.Hub) {
		if got := firstNames(t, h); !maps.Equal(got, want) {
			t.Errorf("the command line's hub has %v, want %v", got, want)
		}
	})
	if got := firstNames(t, b.ext.Hub); !maps.Equal(got, want) {
		t.Errorf("the external hub has %v, want %v", got, want)
	}

	// Without --follow the run is queued for the server.
	if out := b.must(t, "", "connections", "sync-now", b.id); !strings.Contains(out, "queued") {
		t.Errorf("sync-now without --follow: %q", out)
	}
	var quiet runView
	decodeJSON(t, b.must(t, "", "connections", "sync-now", b.id, "--follow"), &quiet)
	if quiet.ID <= r.ID || quiet.Status != "succeeded" {
		t.Errorf("sync-now: %+v after %+v", quiet, r)
	}

	// The queue may add runs of its own (the schedule's first round, a
	// request joining another), so the table is checked by the two runs.
	runs := b.must(t, "", "connections", "runs", b.id)
	lines := strings.Split(strings.TrimSpace(runs), "\n")
	if !regexp.MustCompile(`^ID\s+TRIGGER\s+STATUS\s+STARTED\s+DURATION\s+SUMMARY$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`(?m)^`+strconv.FormatInt(quiet.ID, 10)+`\s+\S+\s+succeeded\s+\d{4}-\S+\s+\d\S*s\s+no changes$`).MatchString(runs) ||
		!regexp.MustCompile(`(?m)^`+strconv.FormatInt(r.ID, 10)+`\s+manual\s+succeeded\s+\d{4}-\S+\s+\d\S*s\s+contacts→app: 1 created; contacts→hub: 1 created$`).MatchString(runs) {
		t.Errorf("runs:\n%s", runs)
	}
	// The newest run: quiet, or a round of the schedule the command's own
	// worker ran after it.
	var all, views []runView
	decodeJSON(t, b.must(t, "", "connections", "runs", b.id, "--json"), &all)
	decodeJSON(t, b.must(t, "", "connections", "runs", b.id, "--limit", "1", "--json"), &views)
	if len(views) != 1 || len(all) == 0 || views[0].ID != all[0].ID || views[0].ID < quiet.ID {
		t.Errorf("runs --limit 1 --json: %+v", views)
	}
	for _, bad := range []string{"0", "-1", "1001"} {
		if errOut := b.fails(t, "", "connections", "runs", b.id, "--limit", bad); !strings.Contains(errOut, "--limit must be 1 to 1000") {
			t.Errorf("runs --limit %s: %q", bad, errOut)
		}
	}

	if out := b.must(t, "", "connections", "errors", b.id); !strings.HasPrefix(out, "ID  ") || strings.Count(out, "\n") != 1 {
		t.Errorf("errors of a clean sync:\n%s", out)
	}
	var errs []recordErrorView
	decodeJSON(t, b.must(t, "", "connections", "errors", b.id, "--all", "--json"), &errs)
	if errs == nil || len(errs) != 0 {
		t.Errorf("errors --all --json of a clean sync: %+v", errs)
	}
	if errOut := b.fails(t, "", "connections", "retry", b.id, "x"); !strings.Contains(errOut, `error id "x" must be a number`) {
		t.Errorf("retry of a bad id: %q", errOut)
	}
	if errOut := b.fails(t, "", "connections", "retry", b.id, "7"); !strings.Contains(errOut, "no open record error 7") {
		t.Errorf("retry of an unknown error: %q", errOut)
	}

	// A paused connection runs nothing: a clear error and no run.
	decodeJSON(t, b.must(t, "", "connections", "runs", b.id, "--json"), &views)
	before := len(views)
	b.must(t, "", "connections", "pause", b.id)
	if errOut := b.fails(t, "", "connections", "sync-now", b.id, "--follow"); !strings.HasPrefix(errOut, "error: ") || strings.Contains(errOut, "queued") {
		t.Errorf("sync-now of a paused connection: %q", errOut)
	}
	decodeJSON(t, b.must(t, "", "connections", "runs", b.id, "--json"), &views)
	if len(views) != before {
		t.Errorf("a held sync-now recorded a run: %+v", views)
	}
	b.must(t, "", "connections", "resume", b.id)

	// A key the external app no longer takes fails the run: exit 1 with
	// the reason, never the key.
	_, newToken, err := b.ext.Hub.PrivateApps.Rotate(context.Background(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.secrets = append(b.secrets, newToken)
	code, out, errOut = b.run(t, "", "connections", "sync-now", b.id, "--follow")
	if code != 1 {
		t.Fatalf("sync-now with a revoked key: exit %d\n%s%s", code, out, errOut)
	}
	decodeJSON(t, out, &r)
	if r.Status != "failed" || !strings.Contains(errOut, "\nerror: sync run "+strconv.FormatInt(r.ID, 10)+" failed: contacts: api_key_invalid: ") {
		t.Errorf("sync-now with a revoked key: %+v\n%s", r, errOut)
	}
	runs = b.must(t, "", "connections", "runs", b.id, "--limit", "1")
	if !regexp.MustCompile(`(?m)^` + strconv.FormatInt(r.ID, 10) + `\s+\S+\s+failed\s+.*\serror: contacts: api_key_invalid: `).MatchString(runs) {
		t.Errorf("runs after a failed run:\n%s", runs)
	}
}

func TestRefusedRecordIsQuarantinedAndRetried(t *testing.T) {
	b := setupSync(t)
	b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts", "--direction", "to_app",
		"--map", "email=email", "--map", "firstname=lifecyclestage")
	var adaID int64
	b.local(t, func(h *hub.Hub) {
		adaID = createContact(t, h, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	})

	var r runView
	decodeJSON(t, b.must(t, "", "connections", "sync-now", b.id, "--follow"), &r)
	if r.Status != "succeeded" || r.Counts["contacts.to_app.failed"] != 1 {
		t.Fatalf("a run with a refused record: %+v", r)
	}
	runs := b.must(t, "", "connections", "runs", b.id)
	if !strings.Contains(runs, "contacts→app: 1 failed") {
		t.Errorf("runs:\n%s", runs)
	}

	var errs []recordErrorView
	decodeJSON(t, b.must(t, "", "connections", "errors", b.id, "--json"), &errs)
	if len(errs) != 1 || errs[0].Side != "app" || errs[0].HubID != adaID || errs[0].ExternalID != "" || errs[0].Reason == "" ||
		errs[0].Attempts != 1 || errs[0].ResolvedAt != nil {
		t.Fatalf("errors --json: %+v", errs)
	}
	e := errs[0]
	table := b.must(t, "", "connections", "errors", b.id)
	row := `(?m)^` + strconv.FormatInt(e.ID, 10) + `\s+app\s+` + strconv.FormatInt(adaID, 10) + `\s+-\s+` + regexp.QuoteMeta(e.Reason) +
		`\s+1\s+\d{4}-\S+\s+-\s+` + regexp.QuoteMeta(e.Message) + `$`
	if !regexp.MustCompile(row).MatchString(table) {
		t.Errorf("errors table lacks %s:\n%s", row, table)
	}

	code, out, errOut := b.run(t, "", "connections", "retry", b.id, strconv.FormatInt(e.ID, 10))
	var after recordErrorView
	decodeJSON(t, out, &after)
	if code != 1 || !strings.Contains(errOut, "record error "+strconv.FormatInt(e.ID, 10)+" is still open: "+e.Reason+": ") ||
		after.ID != e.ID || after.Attempts != 2 || after.ResolvedAt != nil {
		t.Errorf("retry of a record still refused: exit %d %+v %q", code, after, errOut)
	}
	decodeJSON(t, b.must(t, "", "connections", "errors", b.id, "--json"), &errs)
	if len(errs) != 1 || errs[0].ID != e.ID || errs[0].ResolvedAt != nil {
		t.Errorf("after the retry: %+v", errs)
	}
	if got := firstNames(t, b.ext.Hub); len(got) != 0 {
		t.Errorf("the external hub took a refused record: %v", got)
	}

	health := b.must(t, "", "connections", "health", b.id)
	if !regexp.MustCompile(`(?m)^\d+\s+contacts\s+contacts\s+true\s+0\s+0\s+1$`).MatchString(health) ||
		!regexp.MustCompile(`(?m)^1\s+`+regexp.QuoteMeta(e.Reason)+`\s+`).MatchString(health) {
		t.Errorf("health:\n%s", health)
	}
	code, out, errOut = b.run(t, "", "connections", "retry-errors", b.id, "--reason", e.Reason)
	var group struct{ Retried, Resolved int }
	decodeJSON(t, out, &group)
	if code != 1 || group.Retried != 1 || group.Resolved != 0 || !strings.Contains(errOut, "1 of 1 "+e.Reason+" records still fail") {
		t.Errorf("retry-errors of a record still refused: exit %d %+v %q", code, group, errOut)
	}
}

// TestSyncConfigChangeFromTheCommandLine: a wrong mapping is fixed in place
// (the check refusing a typo with what exists), records synced under it are
// put right by the next run, and an object sync is disabled, enabled and
// removed, each audited.
func TestSyncConfigChangeFromTheCommandLine(t *testing.T) {
	b := setupSync(t)
	var o struct{ ID int64 }
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts",
		"--map", "email=email", "--map", "firstname=lastname"), &o)
	sync := strconv.FormatInt(o.ID, 10)
	b.local(t, func(h *hub.Hub) {
		createContact(t, h, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	})
	b.must(t, "", "connections", "sync-now", b.id, "--follow")

	errOut := b.fails(t, "", "connections", "sync-config", "update", b.id, sync, "--set-field", "firstname=first_name")
	if !strings.Contains(errOut, `mapping_invalid: contacts has no field "first_name"; did you mean firstname? It has: `) {
		t.Errorf("update with a field the external hub lacks: %q", errOut)
	}
	out := b.must(t, "", "connections", "sync-config", "update", b.id, sync, "--set-field", "firstname=firstname")
	if want := "object sync " + sync + " (contacts with contacts, two_way, enabled) updated; it takes effect on the next run\nfields: email, firstname\n"; out != want {
		t.Errorf("update printed %q, want %q", out, want)
	}
	var v struct {
		ConflictRule     string `json:"conflict_rule"`
		PropagateDeletes bool   `json:"propagate_deletes"`
	}
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "update", b.id, sync, "--conflict", "app_wins",
		"--propagate-deletes", "--output", "json"), &v)
	if v.ConflictRule != "app_wins" || !v.PropagateDeletes {
		t.Errorf("update --output json: %+v", v)
	}
	b.must(t, "", "connections", "sync-now", b.id, "--follow")
	if got := firstNames(t, b.ext.Hub); got["ada@example.com"] != "Ada" {
		t.Errorf("a record synced under the old mapping was not put right: %v", got)
	}

	if out := b.must(t, "", "connections", "sync-config", "disable", b.id, sync); !strings.Contains(out, "disabled) disabled; it takes effect") {
		t.Errorf("disable printed %q", out)
	}
	if list := b.must(t, "", "connections", "sync-config", "list", b.id); !regexp.MustCompile(`(?m)^` + sync + `\s+contacts.*\s+no\s+email, firstname$`).MatchString(list) {
		t.Errorf("list after disable:\n%s", list)
	}
	if out := b.must(t, "", "connections", "sync-config", "enable", b.id, sync); !strings.Contains(out, "enabled) enabled;") {
		t.Errorf("enable printed %q", out)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"update", b.id, sync}, "nothing to change"},
		{[]string{"update", b.id, sync, "--hub-filter", "email:has", "--no-hub-filters"}, "give --hub-filter or --no-hub-filters, not both"},
		{[]string{"update", b.id, sync, "--drop-field", "phone"}, `maps no hub property "phone"`},
		{[]string{"update", b.id, sync, "--direction", "sideways"}, "direction must be two_way, to_hub or to_app"},
		{[]string{"update", b.id, "abc", "--conflict", "hub_wins"}, `object sync id "abc" must be a positive number`},
		{[]string{"update", b.id, "999", "--conflict", "hub_wins"}, "connection " + b.id + " has no object sync 999"},
		{[]string{"disable", "99", sync}, "connection 99: not found"},
		{[]string{"remove", b.id, "999"}, "has no object sync 999"},
	} {
		if errOut := b.fails(t, "", append([]string{"connections", "sync-config"}, bad.args...)...); !strings.Contains(errOut, bad.want) {
			t.Errorf("sync-config %v: %q, want %q", bad.args, errOut, bad.want)
		}
	}

	out = b.must(t, "", "connections", "sync-config", "remove", b.id, sync)
	if !strings.Contains(out, "object sync "+sync+" removed from connection "+b.id) {
		t.Errorf("remove printed %q", out)
	}
	var syncs []struct{}
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "list", b.id, "--json"), &syncs)
	if len(syncs) != 0 {
		t.Errorf("%d object syncs after remove", len(syncs))
	}
	audit := b.must(t, "", "audit", "--target-type", "connection", "--target-id", b.id)
	for _, action := range []string{"object_sync.create", "object_sync.update", "object_sync.disable", "object_sync.enable", "object_sync.remove"} {
		if !strings.Contains(audit, action) {
			t.Errorf("audit lacks %s:\n%s", action, audit)
		}
	}
}

// TestTableFixedThenChecked: an origin_column without a unique index is
// refused at create with the SQL to run; when the index goes later, the
// sync holds the connection, and once the index is back "connections
// check" repairs it without the database URL entered again.
func TestTableFixedThenChecked(t *testing.T) {
	b := setup(t)
	b.user(t, "ann@example.com", "--role", "admin")
	dbURL, table, admin := b.table(t, "people")
	ctx := context.Background()
	if _, err := admin.Exec(ctx, "ALTER TABLE people ADD origin text, ALTER id ADD GENERATED BY DEFAULT AS IDENTITY"); err != nil {
		t.Fatal(err)
	}
	b.must(t, "", "integrations", "create", "--name", "billing-db", "--provider", "postgres", "--auth", "password")
	create := []string{"connections", "create", "--integration", "billing-db", "--name", "people", "--owner", "ann@example.com",
		"--objects", "contacts", "--credential-stdin", "--config", "table=" + table, "--config", "key_column=id",
		"--config", "updated_column=updated_at", "--config", "origin_column=origin", "--config", "commit_lag=0s"}
	index := "CREATE UNIQUE INDEX ON " + table + " (origin)"
	if errOut := b.fails(t, dbURL+"\n", create...); !strings.Contains(errOut, "external_column_unsupported: ") || !strings.HasSuffix(strings.TrimSpace(errOut), index) {
		t.Fatalf("create with origin_column lacking a unique index: %q, want it to end with %q", errOut, index)
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE UNIQUE INDEX people_origin ON people (origin)")
	var c connView
	decodeJSON(t, b.must(t, dbURL+"\n", create...), &c)
	id := strconv.FormatInt(c.ID, 10)
	b.must(t, "", "connections", "sync-config", "add", id, "--object", "contacts", "--map", "email=email")

	exec("DROP INDEX people_origin")
	(&syncBundle{testBundle: b}).local(t, func(h *hub.Hub) { createContact(t, h, map[string]string{"email": "ada@example.com"}) })
	b.fails(t, "", "connections", "sync-now", id, "--follow")
	if got := b.show(t, c.ID); got.Status != "needs_reconnect" || got.Reason == nil || got.Reason.Code != "external_column_unsupported" {
		t.Fatalf("after the index went: %+v", got)
	}
	exec("CREATE UNIQUE INDEX people_origin ON people (origin)")
	if out := b.must(t, "", "connections", "check", id); !strings.HasPrefix(out, "connection "+id+` "people" is active`) {
		t.Errorf("check after the fix: %q", out)
	}
	b.must(t, "", "connections", "sync-now", id, "--follow")
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM people WHERE email = 'ada@example.com'").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows for the contact after the repair (%v)\n%s", n, err, b.must(t, "", "connections", "runs", id))
	}
}

// TestResumeQueuesARunLabelledResume checks that the catch-up run a resume
// queues says so: sync-now joins that waiting run, which runs here.
func TestResumeQueuesARunLabelledResume(t *testing.T) {
	b := setupSync(t)
	b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts")
	b.must(t, "", "connections", "pause", b.id)
	b.must(t, "", "connections", "resume", b.id)
	var r runView
	decodeJSON(t, b.must(t, "", "connections", "sync-now", b.id, "--follow", "--output", "json"), &r)
	if r.Trigger != "resume" || r.Status != "succeeded" {
		t.Errorf("the run after a resume: %+v, want trigger resume", r)
	}
}

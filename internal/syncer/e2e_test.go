package syncer_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// testBundle is hub A, the external app, and hub B, whose connection syncs
// with A through A's OAuth server.
type testBundle struct {
	a, b  *hubtest.Env
	admin audit.Actor
	conn  store.Connection
}

func setup(t *testing.T, backend hubtest.Backend, in syncer.ObjectSyncInput) *testBundle {
	return setupConnection(t, backend, in, connectionApp())
}

func connectionApp() connection.NewConnection {
	return connection.NewConnection{AuthMode: connection.ModeApp}
}

// setupConnection is setup with the connection's mode and owner given.
func setupConnection(t testing.TB, backend hubtest.Backend, in syncer.ObjectSyncInput, nc connection.NewConnection, bOpts ...hub.Option) *testBundle {
	return setupBehind(t, backend, in, nc, nil, bOpts...)
}

// setupBehind is setupConnection with B reaching A through front, which
// wraps A's handler and returns the URL B uses.
func setupBehind(t testing.TB, backend hubtest.Backend, in syncer.ObjectSyncInput, nc connection.NewConnection,
	front func(a http.Handler) string, bOpts ...hub.Option) *testBundle {
	t.Helper()
	ctx := context.Background()
	noLimit := func(c *config.Config) { c.TokenRate = -1 }
	tb := &testBundle{a: hubtest.New(t, hubtest.SQLite, noLimit), b: hubtest.Open(t, hubtest.Config(t, backend), bOpts...)}
	tb.a.User(t, "approver@a.example", identity.RoleAdmin, nil)
	aURL := tb.a.URL
	if front != nil {
		aURL = front(tb.a.Server.Config.Handler)
	}
	admin, err := tb.b.Hub.Identity.User(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	tb.admin = audit.Actor{ID: admin.ID, Label: admin.Email}
	app, secret := tb.a.App(t, oauth.AppInput{Name: "Hub B", RedirectURIs: []string{tb.b.URL + hub.CallbackPath}, Scopes: hubtest.AllScopes})
	integration, err := tb.b.Hub.Connections.CreateIntegration(ctx, tb.admin, connection.NewIntegration{
		Name: "hub-a", Provider: "hubspot", AuthKind: connection.AuthOAuth2, Secret: secret,
		Settings: connection.ProviderSettings("hubspot", aURL, map[string]string{
			"client_id": app.ClientID, "scopes": strings.Join(hubtest.AllScopes, " ")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	config := map[string]string{"archive_interval": "0s", "read_overlap": "0s"}
	maps.Copy(config, nc.Config)
	nc.Integration, nc.Name, nc.Config = integration.Name, "B to A", config
	if nc.Owner != "" {
		tb.b.User(t, nc.Owner, identity.RoleMember, map[string]string{"contacts": "edit", "companies": "edit", "deals": "edit"})
	}
	started, err := tb.b.Hub.Connections.Create(ctx, tb.admin, nc)
	if err != nil {
		t.Fatal(err)
	}
	browser := tb.a.Browser()
	back := browser.Consent(t, started.AuthorizeURL, "approver@a.example")
	if status, _, page := browser.Page(t, "GET", back.String(), nil); status != 200 {
		t.Fatalf("callback: %d %s", status, page)
	}
	conns, err := tb.b.Hub.Connections.List(ctx)
	if err != nil || len(conns) != 1 {
		t.Fatalf("connections: %v %v", conns, err)
	}
	tb.conn = conns[0]
	if in.HubObject == "" {
		in.HubObject = "contacts"
	}
	if _, err := tb.b.Hub.Syncer.AddObjectSync(ctx, tb.admin, tb.conn.ID, in); err != nil {
		t.Fatalf("add object sync: %v", err)
	}
	return tb
}

func (tb *testBundle) run(t testing.TB) store.SyncRun {
	t.Helper()
	ctx := context.Background()
	if err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "manual"); err != nil {
		t.Fatalf("run: %v", err)
	}
	runs, err := tb.b.Hub.Syncer.Runs(ctx, tb.conn.ID, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	return runs[0]
}

// byEmail lists a hub's live contacts by email.
func byEmail(t testing.TB, env *hubtest.Env) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	after := ""
	for {
		recs, next, err := env.Hub.CRM.List(context.Background(), "contacts", false, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if _, dup := out[r.Props["email"]]; dup {
				t.Fatalf("two contacts with email %s", r.Props["email"])
			}
			r.Props["hs_object_id"] = fmt.Sprint(r.ID)
			out[r.Props["email"]] = r.Props
		}
		if next == "" {
			return out
		}
		after = next
	}
}

func create(t testing.TB, env *hubtest.Env, props map[string]string) store.Record {
	t.Helper()
	r, err := env.Hub.CRM.Create(context.Background(), "test", "contacts", props)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func update(t testing.TB, env *hubtest.Env, id int64, props map[string]string) {
	t.Helper()
	if _, err := env.Hub.CRM.Update(context.Background(), "test", "contacts", fmt.Sprint(id), "", props); err != nil {
		t.Fatal(err)
	}
}

func TestTwoWayCreateUpdateArchive(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, backend, syncer.ObjectSyncInput{PropagateDeletes: true})
			onA := create(t, tb.a, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
			onB := create(t, tb.b, map[string]string{"email": "bob@example.com", "firstname": "Bob"})
			tb.run(t)
			a, b := byEmail(t, tb.a), byEmail(t, tb.b)
			if a["bob@example.com"]["firstname"] != "Bob" || b["ada@example.com"]["firstname"] != "Ada" {
				t.Fatalf("creates did not cross: A %v B %v", a, b)
			}
			update(t, tb.a, onA.ID, map[string]string{"lastname": "Lovelace"})
			update(t, tb.b, onB.ID, map[string]string{"lastname": "Builder"})
			tb.run(t)
			a, b = byEmail(t, tb.a), byEmail(t, tb.b)
			if b["ada@example.com"]["lastname"] != "Lovelace" || a["bob@example.com"]["lastname"] != "Builder" {
				t.Fatalf("updates did not cross: A %v B %v", a, b)
			}
			quiet := tb.run(t)
			for k, n := range quiet.Counts {
				if strings.HasSuffix(k, ".created") || strings.HasSuffix(k, ".updated") {
					t.Fatalf("a run with no new edits wrote %s=%d: echo", k, n)
				}
			}
			if err := tb.a.Hub.CRM.Archive(context.Background(), "test", "contacts", fmt.Sprint(onA.ID)); err != nil {
				t.Fatal(err)
			}
			if err := tb.b.Hub.CRM.Archive(context.Background(), "test", "contacts", fmt.Sprint(onB.ID)); err != nil {
				t.Fatal(err)
			}
			tb.run(t)
			if _, ok := byEmail(t, tb.b)["ada@example.com"]; ok {
				t.Fatal("an archive on A did not reach B")
			}
			if _, ok := byEmail(t, tb.a)["bob@example.com"]; ok {
				t.Fatal("an archive on B did not reach A")
			}
		})
	}
}

func TestMatchByEmailOnFirstContact(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{})
	create(t, tb.a, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	create(t, tb.b, map[string]string{"email": "ADA@example.com", "lastname": "Lovelace"})
	tb.run(t)
	a, b := byEmail(t, tb.a), byEmail(t, tb.b)
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("matching made duplicates: A %v B %v", a, b)
	}
	for _, side := range []map[string]map[string]string{a, b} {
		if c := side["ada@example.com"]; c["firstname"] != "Ada" || c["lastname"] != "Lovelace" {
			t.Fatalf("first contact did not merge both sides' values: %v", c)
		}
	}
}

func TestConflictRules(t *testing.T) {
	for _, rule := range []string{syncer.RuleHubWins, syncer.RuleAppWins, syncer.RuleMostRecent} {
		t.Run(rule, func(t *testing.T) {
			t.Parallel()
			tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{ConflictRule: rule})
			onB := create(t, tb.b, map[string]string{"email": "c@example.com", "firstname": "Start"})
			tb.run(t)
			onA := byEmail(t, tb.a)["c@example.com"]
			update(t, tb.b, onB.ID, map[string]string{"firstname": "FromB"})
			var aID int64
			fmt.Sscan(onA["hs_object_id"], &aID)
			if aID == 0 {
				recs, _, _ := tb.a.Hub.CRM.List(context.Background(), "contacts", false, "", 10)
				aID = recs[0].ID
			}
			time.Sleep(5 * time.Millisecond) // the two edits' times must differ for most_recent
			update(t, tb.a, aID, map[string]string{"firstname": "FromA"})
			run := tb.run(t)
			// A's edit is the later one, so most_recent takes it too.
			want := "FromB"
			if rule == syncer.RuleAppWins || rule == syncer.RuleMostRecent {
				want = "FromA"
			}
			if got := byEmail(t, tb.b)["c@example.com"]["firstname"]; got != want {
				t.Fatalf("B has %q, want %q (run %+v)", got, want, run.Counts)
			}
			if got := byEmail(t, tb.a)["c@example.com"]["firstname"]; got != want {
				t.Fatalf("A has %q, want %q", got, want)
			}
		})
	}
}

func TestQuietPollsLeaveNoRun(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{})
	ctx := context.Background()
	tb.run(t)
	count := func() int {
		runs, err := tb.b.Hub.Syncer.Runs(ctx, tb.conn.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(runs)
	}
	before := count()
	for range 3 {
		if err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, syncer.TriggerPoll); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != before {
		t.Fatalf("quiet polls recorded %d runs", n-before)
	}
	create(t, tb.a, map[string]string{"email": "polled@example.com"})
	if err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, syncer.TriggerPoll); err != nil {
		t.Fatal(err)
	}
	runs, _ := tb.b.Hub.Syncer.Runs(ctx, tb.conn.ID, 1)
	if count() != before+1 || runs[0].Trigger != syncer.TriggerPoll || runs[0].Counts["contacts.to_hub.created"] != 1 {
		t.Fatalf("a poll that found a change: %+v", runs)
	}
}

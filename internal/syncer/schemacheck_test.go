package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// saveMappings stores mappings as they are, unchecked, as an object sync
// saved before mappings were checked holds them.
func saveMappings(t testing.TB, st store.Store, syncID int64, ms []store.FieldMapping) {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.Tx) error {
		os, err := tx.ObjectSync(ctx, syncID)
		if err != nil {
			return err
		}
		os.Mappings = ms
		return tx.UpdateObjectSync(ctx, os)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wantMappingInvalid runs the connection and checks that the run fails as
// mapping_invalid naming field, and that the connection is degraded for it,
// not held.
func wantMappingInvalid(t testing.TB, env *hubtest.Env, connID int64, field string) store.Connection {
	t.Helper()
	ctx := context.Background()
	err := env.Hub.Syncer.Run(ctx, connID, "manual")
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.Reason != connector.ReasonMappingInvalid {
		t.Fatalf("run with a field the external side lacks: %v", err)
	}
	c, err := env.Hub.Connections.Get(ctx, connID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != connection.StatusDegraded || c.Reason != connector.ReasonMappingInvalid ||
		!strings.Contains(c.ReasonDetail, field) || !strings.Contains(c.ReasonMessage, field) || !strings.Contains(c.NextStep, "sync-config update") {
		t.Fatalf("connection after the run: %s %s %q %q next %q", c.Status, c.Reason, c.ReasonDetail, c.ReasonMessage, c.NextStep)
	}
	runs, err := env.Hub.Syncer.Runs(ctx, connID, 1)
	if err != nil || len(runs) != 1 || runs[0].Status != syncer.RunFailed || !strings.Contains(runs[0].Error, "mapping_invalid: ") {
		t.Fatalf("the run's record: %+v %v", runs, err)
	}
	return c
}

// TestMappingInvalidAtRunTimeDegrades: a mapping that names a property the
// external hub does not have (saved before mappings were checked) fails its
// object sync at run time as mapping_invalid, never needs_reconnect; the
// connection's other object syncs go on; a check, which does not look at
// mappings, leaves it so; the corrected mapping clears it at the next run.
func TestMappingInvalidAtRunTimeDegrades(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{})
	ctx := context.Background()
	contacts := tb.syncID(t)
	if _, err := tb.b.Hub.Syncer.AddObjectSync(ctx, tb.admin, tb.conn.ID, syncer.ObjectSyncInput{HubObject: "companies"}); err != nil {
		t.Fatal(err)
	}
	saveMappings(t, tb.b.Hub.Store, contacts, fields("email=email", "firstname=nosuchfield"))
	create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	if _, err := tb.b.Hub.CRM.Create(ctx, "test", "companies", map[string]string{"name": "Acme", "domain": "acme.example"}); err != nil {
		t.Fatal(err)
	}

	c := wantMappingInvalid(t, tb.b, tb.conn.ID, "nosuchfield")
	if want := fmt.Sprintf("(object sync %d, contacts)", contacts); strings.Count(c.ReasonDetail, want) != 1 {
		t.Errorf("detail %q does not name %s once", c.ReasonDetail, want)
	}
	if recs, _, err := tb.a.Hub.CRM.List(ctx, "companies", false, "", 10); err != nil || len(recs) != 1 {
		t.Errorf("the companies sync did not go on beside the failing one: %v %v", recs, err)
	}
	if len(byEmail(t, tb.a)) != 0 {
		t.Error("the failing object sync wrote records")
	}
	if _, err := tb.b.Hub.Connections.Check(ctx, tb.conn.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := tb.b.Hub.Connections.Get(ctx, tb.conn.ID); got.Status != connection.StatusDegraded || got.Reason != connector.ReasonMappingInvalid {
		t.Fatalf("a passing check cleared mapping_invalid: %s %s", got.Status, got.Reason)
	}

	tb.change(t, contacts, syncer.ObjectSyncChange{SetFields: fields("firstname=firstname")})
	tb.run(t)
	if got, _ := tb.b.Hub.Connections.Get(ctx, tb.conn.ID); got.Status != connection.StatusActive {
		t.Fatalf("after the fix and a run: %s %s %s", got.Status, got.Reason, got.ReasonDetail)
	}
	if a := byEmail(t, tb.a); a["ada@example.com"]["firstname"] != "Ada" {
		t.Fatalf("after the fix: %v", a)
	}
}

// TestEveryInvalidMappingFailsAlone: two object syncs whose mappings name
// fields the external side lacks are both set aside, the run goes on with
// the third, and the connection names the first.
func TestEveryInvalidMappingFailsAlone(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{})
	ctx := context.Background()
	contacts := tb.syncID(t)
	var companies int64
	for _, object := range []string{"companies", "deals"} {
		os, err := tb.b.Hub.Syncer.AddObjectSync(ctx, tb.admin, tb.conn.ID, syncer.ObjectSyncInput{HubObject: object})
		if err != nil {
			t.Fatal(err)
		}
		if object == "companies" {
			companies = os.ID
		}
	}
	saveMappings(t, tb.b.Hub.Store, contacts, fields("email=email", "firstname=nosuchfield"))
	saveMappings(t, tb.b.Hub.Store, companies, fields("domain=domain", "name=nosuchcompanyfield"))
	if _, err := tb.b.Hub.CRM.Create(ctx, "test", "deals", map[string]string{"dealname": "Big one"}); err != nil {
		t.Fatal(err)
	}
	wantMappingInvalid(t, tb.b, tb.conn.ID, "nosuchfield")
	if recs, _, err := tb.a.Hub.CRM.List(ctx, "deals", false, "", 10); err != nil || len(recs) != 1 {
		t.Errorf("the deals sync did not go on beside two failing ones: %v %v", recs, err)
	}
}

// TestChangeDuringARunStopsIt: a run planned under the old mapping stops
// at its next write once the mapping changes, instead of storing links and
// cursors that would skip the records it read; the next run syncs them
// under the new mapping.
func TestChangeDuringARunStopsIt(t *testing.T) {
	t.Parallel()
	var once sync.Once
	var tb *testBundle
	fault := func(point string) error {
		if point == "after_app_write" {
			once.Do(func() { tb.change(t, tb.syncID(t), syncer.ObjectSyncChange{SetFields: fields("firstname=firstname")}) })
		}
		return nil
	}
	tb = setupConnection(t, hubtest.SQLite, syncer.ObjectSyncInput{Mappings: fields("email=email", "firstname=lastname")},
		connectionApp(), hub.WithSyncer(syncer.WithFault(fault)))
	create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	ctx := context.Background()
	stopped := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "manual")
	runs, _ := tb.b.Hub.Syncer.Runs(ctx, tb.conn.ID, 1)
	tb.run(t)
	a, b := byEmail(t, tb.a), byEmail(t, tb.b)
	if len(a) != 1 || a["ada@example.com"]["firstname"] != "Ada" || b["ada@example.com"]["firstname"] != "Ada" {
		t.Fatalf("after the change: A %v, B %v", a, b)
	}
	if !errors.Is(stopped, syncer.ErrHeld) || runs[0].Status != syncer.RunHeld || !strings.Contains(runs[0].Error, "changed while the run was under way") {
		t.Errorf("a run whose object sync changed under it: %v, recorded %+v", stopped, runs[0])
	}
}

// TestPostgresColumnGoneDegrades: a mapped column dropped from the table
// makes that object sync fail as mapping_invalid naming it at once, not
// external_column_missing and needs_reconnect; unmapping it repairs the
// connection at the next run.
func TestPostgresColumnGoneDegrades(t *testing.T) {
	t.Parallel()
	tb := setupPostgres(t)
	ctx := context.Background()
	create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"})
	tb.run(t)
	tb.exec(t, "ALTER TABLE people DROP COLUMN last_name")
	wantMappingInvalid(t, tb.b, tb.conn.ID, "last_name")

	syncs, err := tb.b.Hub.Syncer.ObjectSyncs(ctx, tb.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Syncer.UpdateObjectSync(ctx, audit.CLI, tb.conn.ID, syncs[0].ID, syncer.ObjectSyncChange{DropFields: []string{"lastname"}}); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	if c, _ := tb.b.Hub.Connections.Get(ctx, tb.conn.ID); c.Status != connection.StatusActive {
		t.Fatalf("after unmapping the column: %s %s", c.Status, c.Reason)
	}
	tb.exec(t, "ALTER TABLE people ADD COLUMN last_name text")
	_, err = tb.b.Hub.Syncer.UpdateObjectSync(ctx, audit.CLI, tb.conn.ID, syncs[0].ID, syncer.ObjectSyncChange{SetFields: fields("lastname=surname")})
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.Reason != connector.ReasonMappingInvalid || !strings.Contains(ce.Message, `has no field "surname"`) ||
		!strings.Contains(ce.Message, "It has: id, email, first_name, origin, deleted, updated_at, last_name.") {
		t.Errorf("update naming a column the table lacks: %v", err)
	}
}

// TestOriginColumnNeedsAUniqueIndex: a connection whose origin_column has
// no unique index is refused when it is made, with the CREATE UNIQUE INDEX
// to run; when the index goes away later, the run holds the connection,
// and once the table is fixed a check, or resume, repairs it with the
// stored database URL.
func TestOriginColumnNeedsAUniqueIndex(t *testing.T) {
	t.Parallel()
	tb := setupPostgres(t)
	ctx := context.Background()
	tb.exec(t, `CREATE TABLE accounts (id bigserial PRIMARY KEY, email text, origin text, updated_at timestamptz NOT NULL DEFAULT now())`)
	cfg := map[string]string{}
	for k, v := range tb.conn.Config {
		cfg[k] = v
	}
	schema, _, _ := strings.Cut(cfg["table"], ".")
	cfg["table"], cfg["deleted_column"], cfg["install_trigger"], cfg["create_index"] = schema+".accounts", "", "", ""
	cred, err := tb.b.Hub.Connections.Credential(ctx, tb.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	nc := connection.NewConnection{Integration: "warehouse", Name: "accounts", AuthMode: connection.ModeApp,
		Objects: []string{"contacts"}, Credential: cred, Config: cfg}
	_, err = tb.b.Hub.Connections.Create(ctx, audit.CLI, nc)
	index := fmt.Sprintf("CREATE UNIQUE INDEX ON %s.accounts (origin)", schema)
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.Reason != connection.ReasonColumnUnsupported || !strings.HasSuffix(ce.Message, index) {
		t.Fatalf("create with origin_column lacking a unique index: %v, want the message to end with %q", err, index)
	}
	if conns, _ := tb.b.Hub.Connections.List(ctx); len(conns) != 1 {
		t.Fatalf("a refused create saved a connection: %d connections", len(conns))
	}
	tb.exec(t, "CREATE UNIQUE INDEX accounts_origin ON accounts (origin)")
	started, err := tb.b.Hub.Connections.Create(ctx, audit.CLI, nc)
	if err != nil {
		t.Fatalf("create after the index: %v", err)
	}
	id := started.Connection.ID
	if _, err := tb.b.Hub.Syncer.AddObjectSync(ctx, audit.CLI, id, syncer.ObjectSyncInput{HubObject: "contacts", Mappings: fields("email=email")}); err != nil {
		t.Fatal(err)
	}

	for _, repair := range []string{"check", "resume"} {
		tb.exec(t, "DROP INDEX accounts_origin")
		create(t, tb.b, map[string]string{"email": "before-" + repair + "@example.com"})
		if err := tb.b.Hub.Syncer.Run(ctx, id, "manual"); err == nil {
			t.Fatal("a run without the origin index succeeded")
		}
		if c, _ := tb.b.Hub.Connections.Get(ctx, id); c.Status != connection.StatusNeedsReconnect || c.Reason != connection.ReasonColumnUnsupported {
			t.Fatalf("after the index went: %s %s", c.Status, c.Reason)
		}
		// Not fixed yet: the check says so again.
		if _, err := tb.b.Hub.Connections.Check(ctx, id); !errors.As(err, &ce) || ce.Reason != connection.ReasonColumnUnsupported {
			t.Fatalf("%s before the fix: %v", repair, err)
		}
		tb.exec(t, "CREATE UNIQUE INDEX accounts_origin ON accounts (origin)")
		if repair == "check" {
			_, err = tb.b.Hub.Connections.Check(ctx, id)
		} else {
			_, err = tb.b.Hub.Connections.Resume(ctx, audit.CLI, id)
		}
		if c, _ := tb.b.Hub.Connections.Get(ctx, id); err != nil || c.Status != connection.StatusActive {
			t.Fatalf("%s after the fix: %v; %s %s", repair, err, c.Status, c.Reason)
		}
		create(t, tb.b, map[string]string{"email": repair + "@example.com"})
		if err := tb.b.Hub.Syncer.Run(ctx, id, "manual"); err != nil {
			t.Fatalf("a run after %s: %v", repair, err)
		}
	}
	var n int
	if err := tb.db.QueryRow(ctx, "SELECT count(*) FROM accounts").Scan(&n); err != nil || n != 4 {
		t.Errorf("%d rows in accounts (%v), want 4", n, err)
	}
}

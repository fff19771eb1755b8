package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// syncID is the bundle's only object sync.
func (tb *testBundle) syncID(t testing.TB) int64 {
	t.Helper()
	syncs, err := tb.b.Hub.Syncer.ObjectSyncs(context.Background(), tb.conn.ID)
	if err != nil || len(syncs) == 0 {
		t.Fatalf("object syncs: %v %v", syncs, err)
	}
	return syncs[0].ID
}

func (tb *testBundle) change(t testing.TB, syncID int64, ch syncer.ObjectSyncChange) store.ObjectSync {
	t.Helper()
	os, err := tb.b.Hub.Syncer.UpdateObjectSync(context.Background(), tb.admin, tb.conn.ID, syncID, ch)
	if err != nil {
		t.Fatalf("update object sync: %v", err)
	}
	return os
}

// lastAudit is the newest audit event of the bundle's connection.
func (tb *testBundle) lastAudit(t testing.TB) store.AuditEvent {
	t.Helper()
	events, err := tb.b.Hub.Audit.List(context.Background(), store.AuditQuery{TargetType: "connection",
		TargetID: strconv.FormatInt(tb.conn.ID, 10), Limit: 1})
	if err != nil || len(events) != 1 {
		t.Fatalf("audit: %v %v", events, err)
	}
	return events[0]
}

func fields(pairs ...string) []store.FieldMapping {
	var out []store.FieldMapping
	for _, p := range pairs {
		hub, app, _ := strings.Cut(p, "=")
		out = append(out, store.FieldMapping{Hub: hub, App: app})
	}
	return out
}

// TestFixingAMappingResyncsWhatWasSynced: a mapping that sent the first
// name to the wrong field is corrected; the next run brings the records
// synced under the old mapping into line (not only records that change
// later), makes no duplicate, and takes the new field's empty side for
// what it is, not for an edit that clears the other side.
func TestFixingAMappingResyncsWhatWasSynced(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, backend, syncer.ObjectSyncInput{Mappings: fields("email=email", "firstname=lastname")})
			create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
			create(t, tb.b, map[string]string{"email": "bob@example.com", "firstname": "Bob"})
			tb.run(t)
			if got := byEmail(t, tb.a)["ada@example.com"]; got["lastname"] != "Ada" || got["firstname"] != "" {
				t.Fatalf("the wrong mapping did not do its wrong: %v", got)
			}
			id := tb.syncID(t)

			os := tb.change(t, id, syncer.ObjectSyncChange{SetFields: fields("firstname=firstname")})
			if len(os.Mappings) != 2 || os.Mappings[1].App != "firstname" {
				t.Fatalf("mappings after the update: %+v", os.Mappings)
			}
			ev := tb.lastAudit(t)
			if ev.Action != "object_sync.update" || ev.Before["fields"] != "email=email, firstname=lastname" ||
				ev.After["fields"] != "email=email, firstname=firstname" || ev.Actor != tb.admin.Label {
				t.Errorf("audit of the update: %+v", ev)
			}

			run := tb.run(t)
			a, b := byEmail(t, tb.a), byEmail(t, tb.b)
			if len(a) != 2 || len(b) != 2 {
				t.Fatalf("duplicates after the change: A %d, B %d contacts", len(a), len(b))
			}
			for _, name := range []string{"Ada", "Bob"} {
				email := strings.ToLower(name) + "@example.com"
				if a[email]["firstname"] != name {
					t.Errorf("A's %s has first name %q after the fix (run %v): a record synced before was skipped", email, a[email]["firstname"], run.Counts)
				}
				if b[email]["firstname"] != name {
					t.Errorf("B's %s lost its first name %q to the empty new field: %q", email, name, b[email]["firstname"])
				}
			}
			if quiet := tb.run(t); quiet.Counts["contacts.to_app.updated"]+quiet.Counts["contacts.to_hub.updated"] != 0 {
				t.Errorf("the run after the catch-up wrote again: %v", quiet.Counts)
			}
		})
	}
}

// TestMappingIsCheckedAgainstBothSides: names the external hub or this hub
// lacks are refused, with what exists, on add and on update; a change that
// is refused changes nothing.
func TestMappingIsCheckedAgainstBothSides(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{})
	ctx := context.Background()
	id := tb.syncID(t)
	before, _ := tb.b.Hub.Syncer.ObjectSyncs(ctx, tb.conn.ID)

	_, err := tb.b.Hub.Syncer.UpdateObjectSync(ctx, tb.admin, tb.conn.ID, id, syncer.ObjectSyncChange{SetFields: fields("firstname=first_name")})
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.Reason != connector.ReasonMappingInvalid || !ce.Definite ||
		!strings.Contains(ce.Message, `contacts has no field "first_name"; did you mean firstname?`) || !strings.Contains(ce.Message, "It has: ") {
		t.Errorf("update to an unknown external property: %v", err)
	}
	filter := []store.Filter{{Property: "colour", Operator: "eq", Value: "red"}}
	if _, err := tb.b.Hub.Syncer.UpdateObjectSync(ctx, tb.admin, tb.conn.ID, id, syncer.ObjectSyncChange{AppFilters: &filter}); !errors.As(err, &ce) ||
		ce.Reason != connector.ReasonMappingInvalid || !strings.Contains(ce.Message, `"colour"`) {
		t.Errorf("an external filter on an unknown property: %v", err)
	}
	_, err = tb.b.Hub.Syncer.UpdateObjectSync(ctx, tb.admin, tb.conn.ID, id, syncer.ObjectSyncChange{SetFields: fields("fristname=website")})
	if !errors.Is(err, connection.ErrInvalid) || !strings.Contains(err.Error(), `the hub's contacts has no field "fristname"; did you mean firstname?`) {
		t.Errorf("update to an unknown hub property: %v", err)
	}
	_, err = tb.b.Hub.Syncer.AddObjectSync(ctx, tb.admin, tb.conn.ID, syncer.ObjectSyncInput{HubObject: "companies", Mappings: fields("name=title")})
	if !errors.As(err, &ce) || ce.Reason != connector.ReasonMappingInvalid || !strings.Contains(ce.Message, `companies has no field "title"`) {
		t.Errorf("add with an unknown external property: %v", err)
	}
	_, err = tb.b.Hub.Syncer.AddObjectSync(ctx, tb.admin, tb.conn.ID, syncer.ObjectSyncInput{HubObject: "contacts"})
	if !errors.Is(err, store.ErrAlreadyExists) || !strings.Contains(err.Error(), fmt.Sprintf("(object sync %d); change it with sync-config update", id)) {
		t.Errorf("a second add of contacts: %v", err)
	}
	after, _ := tb.b.Hub.Syncer.ObjectSyncs(ctx, tb.conn.ID)
	if len(after) != 1 || fmt.Sprint(after[0]) != fmt.Sprint(before[0]) {
		t.Errorf("refused changes changed the object syncs: %+v", after)
	}
	rule := syncer.RuleHubWins
	if _, err := tb.b.Hub.Syncer.UpdateObjectSync(ctx, tb.admin, tb.conn.ID, id+1, syncer.ObjectSyncChange{ConflictRule: &rule}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of an object sync the connection does not have: %v", err)
	}
	if err := tb.b.Hub.Syncer.RemoveObjectSync(ctx, tb.admin, tb.conn.ID+1, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("remove through another connection: %v", err)
	}
}

func (tb *testBundle) cursors(t testing.TB, syncID int64) [2]string {
	t.Helper()
	var out [2]string
	err := tb.b.Hub.Store.View(context.Background(), func(tx store.Tx) error {
		for i, side := range []string{store.SideHub, store.SideApp} {
			var err error
			if out[i], err = tx.SyncCursor(context.Background(), syncID, side); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDisabledSyncKeepsLinksAndCursors: a disabled sync moves nothing and
// keeps its place; enabled again, it delivers what changed meanwhile, once.
func TestDisabledSyncKeepsLinksAndCursors(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{})
	ada := create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	tb.run(t)
	id := tb.syncID(t)
	at := tb.cursors(t, id)

	off, on := false, true
	if os := tb.change(t, id, syncer.ObjectSyncChange{Enabled: &off}); os.Enabled {
		t.Fatal("disable left the sync enabled")
	}
	if ev := tb.lastAudit(t); ev.Action != "object_sync.disable" || ev.Before["enabled"] != "true" || ev.After["enabled"] != "false" {
		t.Errorf("audit of disable: %+v", ev)
	}
	update(t, tb.b, ada.ID, map[string]string{"firstname": "Ada2"})
	create(t, tb.b, map[string]string{"email": "carl@example.com", "firstname": "Carl"})
	tb.run(t)
	if a := byEmail(t, tb.a); len(a) != 1 || a["ada@example.com"]["firstname"] != "Ada" {
		t.Fatalf("a disabled sync moved records: %v", a)
	}

	tb.change(t, id, syncer.ObjectSyncChange{Enabled: &on})
	if ev := tb.lastAudit(t); ev.Action != "object_sync.enable" {
		t.Errorf("audit of enable: %+v", ev)
	}
	if got := tb.cursors(t, id); got != at {
		t.Fatalf("cursors moved while disabled or on enable: %q, was %q", got, at)
	}
	tb.run(t)
	a := byEmail(t, tb.a)
	if len(a) != 2 || a["ada@example.com"]["firstname"] != "Ada2" || a["carl@example.com"]["firstname"] != "Carl" {
		t.Fatalf("after enabling: %v", a)
	}
}

// TestRemoveObjectSync: removal takes the sync's links and cursors with it
// and is audited with what it removed; the object can be synced again,
// pairing records afresh by the match key.
func TestRemoveObjectSync(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, backend, syncer.ObjectSyncInput{})
			ctx := context.Background()
			create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
			tb.run(t)
			id := tb.syncID(t)
			if err := tb.b.Hub.Syncer.RemoveObjectSync(ctx, tb.admin, tb.conn.ID, id); err != nil {
				t.Fatal(err)
			}
			ev := tb.lastAudit(t)
			if ev.Action != "object_sync.remove" || ev.Before["links"] != "1" || ev.Before["object"] != "contacts" || ev.After != nil {
				t.Errorf("audit of the removal: %+v", ev)
			}
			var links int
			err := tb.b.Hub.Store.View(ctx, func(tx store.Tx) error {
				var err error
				links, err = tx.CountLinks(ctx, id)
				return err
			})
			if syncs, _ := tb.b.Hub.Syncer.ObjectSyncs(ctx, tb.conn.ID); len(syncs) != 0 || links != 0 || err != nil || tb.cursors(t, id) != [2]string{} {
				t.Fatalf("after removal: syncs %v, %d links (%v), cursors %q", syncs, links, err, tb.cursors(t, id))
			}
			if err := tb.b.Hub.Syncer.RemoveObjectSync(ctx, tb.admin, tb.conn.ID, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a second removal: %v", err)
			}
			if _, err := tb.b.Hub.Syncer.AddObjectSync(ctx, tb.admin, tb.conn.ID, syncer.ObjectSyncInput{HubObject: "contacts"}); err != nil {
				t.Fatalf("add after removal: %v", err)
			}
			tb.run(t)
			if a, b := byEmail(t, tb.a), byEmail(t, tb.b); len(a) != 1 || len(b) != 1 {
				t.Fatalf("syncing again made duplicates: A %v, B %v", a, b)
			}
		})
	}
}

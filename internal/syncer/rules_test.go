package syncer_test

import (
	"context"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

func TestFiltersAndFieldDirections(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{
		Mappings: []store.FieldMapping{
			{Hub: "email", App: "email"},
			{Hub: "firstname", App: "firstname", Direction: store.DirectionToApp},
			{Hub: "lastname", App: "lastname", Direction: store.DirectionToHub},
			{Hub: "lifecyclestage", App: "lifecyclestage"},
		},
		HubFilters: []store.Filter{{Property: "lifecyclestage", Operator: "eq", Value: "customer"}},
		AppFilters: []store.Filter{{Property: "email", Operator: "has"}},
	})
	customer := create(t, tb.b, map[string]string{"email": "cust@example.com", "lifecyclestage": "customer", "firstname": "C", "lastname": "FromB"})
	create(t, tb.b, map[string]string{"email": "lead@example.com", "lifecyclestage": "lead"})
	create(t, tb.a, map[string]string{"firstname": "No email"})
	onA := create(t, tb.a, map[string]string{"email": "fromA@example.com", "lastname": "Last", "firstname": "First"})
	tb.run(t)
	a, b := byEmail(t, tb.a), byEmail(t, tb.b)
	if _, ok := a["lead@example.com"]; ok {
		t.Fatal("a hub record the hub filter excludes reached the app")
	}
	if c := a["cust@example.com"]; c == nil || c["firstname"] != "C" || c["lastname"] != "" {
		t.Fatalf("per-field directions on create to the app: %v", c)
	}
	if c := b["froma@example.com"]; c == nil || c["lastname"] != "Last" || c["firstname"] != "" {
		t.Fatalf("per-field directions on create to the hub: %v", c)
	}
	if _, ok := b[""]; ok {
		t.Fatal("an app record the app filter excludes reached the hub")
	}
	update(t, tb.b, customer.ID, map[string]string{"lastname": "ChangedOnB", "firstname": "C2"})
	update(t, tb.a, onA.ID, map[string]string{"firstname": "ChangedOnA", "lastname": "L2"})
	tb.run(t)
	a, b = byEmail(t, tb.a), byEmail(t, tb.b)
	if a["cust@example.com"]["firstname"] != "C2" || a["cust@example.com"]["lastname"] != "" {
		t.Fatalf("a to-hub field flowed to the app: %v", a["cust@example.com"])
	}
	if b["froma@example.com"]["lastname"] != "L2" || b["froma@example.com"]["firstname"] != "" {
		t.Fatalf("a to-app field flowed to the hub: %v", b["froma@example.com"])
	}
}

// TestWritesPerChangeAreBounded: one edit on one side costs one write on the
// other side and none back, and later runs write nothing.
func TestWritesPerChangeAreBounded(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite, syncer.ObjectSyncInput{})
	rec := create(t, tb.a, map[string]string{"email": "once@example.com", "firstname": "v1"})
	tb.run(t)
	tb.run(t)
	update(t, tb.a, rec.ID, map[string]string{"firstname": "v2"})
	writes := func(r store.SyncRun) (toHub, toApp int) {
		for _, what := range []string{"created", "updated", "archived"} {
			toHub += r.Counts["contacts.to_hub."+what]
			toApp += r.Counts["contacts.to_app."+what]
		}
		return
	}
	if toHub, toApp := writes(tb.run(t)); toHub != 1 || toApp != 0 {
		t.Fatalf("one edit on A cost %d writes to B and %d back to A, want 1 and 0", toHub, toApp)
	}
	for range 3 {
		if toHub, toApp := writes(tb.run(t)); toHub+toApp != 0 {
			t.Fatalf("a quiet run wrote %d to B and %d to A: ping-pong", toHub, toApp)
		}
	}
	var changesOnB int
	ctx := context.Background()
	tb.b.Hub.Store.View(ctx, func(tx store.Tx) error {
		cs, err := tx.Changes(ctx, 0, 1000)
		changesOnB = len(cs)
		return err
	})
	if changesOnB != 2 {
		t.Fatalf("B's change feed holds %d entries for one create and one edit", changesOnB)
	}
}

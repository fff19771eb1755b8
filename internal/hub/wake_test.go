package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// TestWakeMovesPastChangesAndQueuesTheConnectionsThatSyncThem: with no
// connection the watcher passes over changes to their end; once a
// connection syncs contacts, a contact change from someone else queues a
// run of it, while a change of another object type does not.
func TestWakeMovesPastChangesAndQueuesTheConnectionsThatSyncThem(t *testing.T) {
	ctx := context.Background()
	env := hubtest.Open(t, hubtest.Config(t, hubtest.SQLite))
	h := env.Hub
	appendChange := func(objectType string) {
		t.Helper()
		if err := h.Store.Update(ctx, func(tx store.Tx) error {
			return tx.AppendChanges(ctx, []store.Change{{ObjectType: objectType, RecordID: 1, Kind: "created",
				Props: map[string]string{"name": "x"}, Source: "cli", At: time.Now()}})
		}); err != nil {
			t.Fatal(err)
		}
	}
	last := func() int64 {
		t.Helper()
		var seq int64
		if err := h.Store.View(ctx, func(tx store.Tx) (err error) { seq, err = tx.LastChangeSeq(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		return seq
	}
	queued := func() float64 {
		t.Helper()
		d, err := h.Jobs.Depth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d["available"] + d["scheduled"] + d["running"]
	}
	appendChange("contacts")
	appendChange("contacts")
	pos, err := h.Wake(ctx, 0)
	if err != nil || pos != last() {
		t.Fatalf("without connections the watcher is at %d (%v), the feed at %d", pos, err, last())
	}
	before := queued()
	if err := h.Store.Update(ctx, func(tx store.Tx) error {
		in, err := tx.CreateIntegration(ctx, store.Integration{Name: "other", Provider: "hubspot", AuthKind: connection.AuthPrivateApp})
		if err != nil {
			return err
		}
		c, err := tx.CreateConnection(ctx, store.Connection{IntegrationID: in.ID, Name: "other", Status: connection.StatusActive})
		if err != nil {
			return err
		}
		_, err = tx.CreateObjectSync(ctx, store.ObjectSync{ConnectionID: c.ID, HubObject: "contacts", ExternalObject: "contacts", Direction: store.DirectionToApp, Enabled: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	appendChange("deals")
	if pos, err = h.Wake(ctx, pos); err != nil || pos != last() {
		t.Fatalf("the watcher is at %d (%v), the feed at %d", pos, err, last())
	}
	if n := queued(); n != before {
		t.Fatalf("a deal change queued %v runs of a connection that syncs contacts", n-before)
	}
	appendChange("contacts")
	if pos, err = h.Wake(ctx, pos); err != nil || pos != last() {
		t.Fatalf("the watcher is at %d (%v), the feed at %d", pos, err, last())
	}
	if n := queued(); n != before+1 {
		t.Fatalf("a contact change queued %v runs, want 1", n-before)
	}
}

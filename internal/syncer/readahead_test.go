package syncer_test

import (
	"strconv"
	"testing"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/syncer"
)

// TestReadAheadAfterHubWrite: the next step of the change feed is read
// while a step is written. Here a step writes to the hub (an edit made on
// A) and the next step names the same record again: the record read ahead
// for it predates that write, and syncing from it would revert A's edit.
func TestReadAheadAfterHubWrite(t *testing.T) {
	t.Parallel()
	tb := setupConnection(t, hubtest.SQLite, syncer.ObjectSyncInput{}, connectionApp(), hub.WithSyncer(syncer.WithBatch(1)))
	x := create(t, tb.b, map[string]string{"email": "x@example.com", "firstname": "F0", "lastname": "L0"})
	other := create(t, tb.b, map[string]string{"email": "y@example.com", "firstname": "Y0"})
	tb.run(t)
	onA, err := strconv.ParseInt(byEmail(t, tb.a)["x@example.com"]["hs_object_id"], 10, 64)
	if err != nil {
		t.Fatalf("x did not reach A: %v", byEmail(t, tb.a))
	}

	update(t, tb.a, onA, map[string]string{"lastname": "edited on A"})
	// One change a step: x, x again, then another record.
	update(t, tb.b, x.ID, map[string]string{"firstname": "F1"})
	update(t, tb.b, x.ID, map[string]string{"firstname": "F2"})
	update(t, tb.b, other.ID, map[string]string{"firstname": "Y1"})
	tb.run(t)
	tb.run(t)

	for side, env := range map[string]*hubtest.Env{"A": tb.a, "B": tb.b} {
		got := byEmail(t, env)["x@example.com"]
		if got["firstname"] != "F2" || got["lastname"] != "edited on A" {
			t.Errorf("x on %s is %s %s, want F2 edited on A", side, got["firstname"], got["lastname"])
		}
	}
}

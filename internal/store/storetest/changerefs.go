package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hubsync/hubsync/internal/store"
)

// testChangeRefs: ChangeRefs names the same changes as Changes, in the same
// order and with the same limit and position, without their values.
func testChangeRefs(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AppendChanges(ctx, []store.Change{
			{ObjectType: "contacts", RecordID: 1, Kind: "created", Props: map[string]string{"email": "a@example.com"}, Source: "cli", At: when(0)},
			{ObjectType: "companies", RecordID: 2, Kind: "updated", Props: map[string]string{"name": "Acme"}, Source: "sync:4", At: when(time.Second)},
			{ObjectType: "contacts", RecordID: 1, Kind: "archived", Source: "user:7", At: when(2 * time.Second)},
			{ObjectType: "contacts", RecordID: 3, Kind: "created", Props: map[string]string{"email": "c@example.com"}, Source: "private-app:1", At: when(3 * time.Second)},
		})
	})
	all := changes(t, s, 0, 10)
	for _, c := range []struct {
		after int64
		limit int
	}{{0, 10}, {0, 2}, {all[1].Seq, 10}, {all[1].Seq, 1}, {all[3].Seq, 10}} {
		want := changes(t, s, c.after, c.limit)
		for i := range want {
			want[i].Props = nil
		}
		got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Change, error) {
			return tx.ChangeRefs(ctx, c.after, c.limit)
		})
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ChangeRefs(%d, %d) differs from Changes without values (-want +got):\n%s", c.after, c.limit, diff)
		}
	}
}

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hubsync/hubsync/internal/store"
)

// testChangeSources: ChangeSources names each object type and source of
// the changes Changes would return for the same position and limit, once,
// with their count and the last sequence.
func testChangeSources(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AppendChanges(ctx, []store.Change{
			{ObjectType: "contacts", RecordID: 1, Kind: "created", Props: map[string]string{"email": "a@example.com"}, Source: "cli", At: when(0)},
			{ObjectType: "companies", RecordID: 2, Kind: "updated", Props: map[string]string{"name": "Acme"}, Source: "sync:4", At: when(time.Second)},
			{ObjectType: "contacts", RecordID: 1, Kind: "archived", Source: "cli", At: when(2 * time.Second)},
			{ObjectType: "contacts", RecordID: 3, Kind: "created", Source: "sync:4", At: when(3 * time.Second)},
			{ObjectType: "contacts", RecordID: 4, Kind: "created", Source: "cli", At: when(4 * time.Second)},
		})
	})
	all := changes(t, s, 0, 10)
	for _, c := range []struct {
		after int64
		limit int
	}{{0, 10}, {0, 2}, {0, 3}, {all[1].Seq, 10}, {all[1].Seq, 1}, {all[4].Seq, 10}} {
		read := changes(t, s, c.after, c.limit)
		want := store.ChangeSourcesPage{LastSeq: c.after, Read: len(read)}
		seen := map[store.ChangeSource]bool{}
		for _, ch := range read {
			cs := store.ChangeSource{ObjectType: ch.ObjectType, Source: ch.Source}
			if !seen[cs] {
				seen[cs] = true
				want.Sources = append(want.Sources, cs)
			}
			want.LastSeq = ch.Seq
		}
		got := get(t, s, func(ctx context.Context, tx store.Tx) (store.ChangeSourcesPage, error) {
			return tx.ChangeSources(ctx, c.after, c.limit)
		})
		byName := func(a, b store.ChangeSource) bool {
			return a.ObjectType+"\x00"+a.Source < b.ObjectType+"\x00"+b.Source
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.SortSlices(byName)); diff != "" {
			t.Errorf("ChangeSources(%d, %d) (-want +got):\n%s", c.after, c.limit, diff)
		}
	}
}

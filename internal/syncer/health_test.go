package syncer_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// Hourly counts the records runs wrote per hour of the week, on each call:
// old hours, which it keeps once settled, as well as a run just finished,
// and a run still going however long ago it started.
func TestHourlyFollowsRunsAsTheyGo(t *testing.T) {
	ctx := context.Background()
	env := hubtest.New(t, hubtest.SQLite)
	const conn = 42
	now := time.Now().UTC()
	put := func(r store.SyncRun) store.SyncRun {
		t.Helper()
		r.ConnectionID, r.Trigger = conn, "schedule"
		err := env.Hub.Store.Update(ctx, func(tx store.Tx) (err error) {
			if r.ID == 0 {
				r, err = tx.CreateSyncRun(ctx, r)
				return err
			}
			return tx.UpdateSyncRun(ctx, r)
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	hourly := func() map[int]int {
		t.Helper()
		start, counts, err := env.Hub.Syncer.Hourly(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != 168 || !start.Add(168*time.Hour).After(now) {
			t.Fatalf("%d hours from %s", len(counts), start)
		}
		out := map[int]int{}
		for i, n := range counts {
			if n > 0 {
				out[167-i] = n // hours ago
			}
		}
		return out
	}
	same := func(what string, got, want map[int]int) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: %v, want %v", what, got, want)
			}
		}
	}
	ago := func(h int) time.Time { return now.Truncate(time.Hour).Add(-time.Duration(h)*time.Hour + time.Minute) }
	put(store.SyncRun{Status: "succeeded", StartedAt: ago(30), FinishedAt: ago(30), Counts: map[string]int{
		"contacts.to_app.created": 4, "contacts.to_hub.updated": 2, "contacts.to_app.read": 50, "contacts.to_app.failed": 1}})
	put(store.SyncRun{Status: "succeeded", StartedAt: ago(200), Counts: map[string]int{"contacts.to_app.created": 9}})
	long := put(store.SyncRun{Status: "running", StartedAt: ago(5), Counts: map[string]int{"deals.to_hub.created": 1}})
	same("first look", hourly(), map[int]int{30: 6, 5: 1})

	put(store.SyncRun{Status: "succeeded", StartedAt: ago(0), Counts: map[string]int{"contacts.to_app.archived": 3}})
	long.Counts = map[string]int{"deals.to_hub.created": 70}
	long = put(long)
	same("after a run and the long run's progress", hourly(), map[int]int{30: 6, 5: 70, 0: 3})

	long.Status, long.Counts["deals.to_hub.created"] = "succeeded", 100
	put(long)
	same("once the long run finished", hourly(), map[int]int{30: 6, 5: 100, 0: 3})
	same("again, from what was kept", hourly(), map[int]int{30: 6, 5: 100, 0: 3})
}

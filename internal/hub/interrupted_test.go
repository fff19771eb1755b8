package hub_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// TestLiveRunIsNeverMarkedInterrupted: a run recorded as running whose
// connection's lease is held, as a live run holds it (on PostgreSQL by
// another replica), is left running however often a hub looks; once the
// lease is free, the next look marks it interrupted.
func TestLiveRunIsNeverMarkedInterrupted(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := hubtest.Config(t, backend)
			running := hubtest.Open(t, cfg)
			looking := running // SQLite's leases live in the one process that owns the file
			if cfg.UsesPostgres() {
				looking = hubtest.Open(t, cfg)
			}
			const connID = 7
			var run store.SyncRun
			now := time.Now().UTC()
			if err := running.Hub.Store.Update(ctx, func(tx store.Tx) error {
				var err error
				run, err = tx.CreateSyncRun(ctx, store.SyncRun{ConnectionID: connID, Trigger: "manual", Status: syncer.RunRunning,
					StartedAt: now, HeartbeatAt: now})
				return err
			}); err != nil {
				t.Fatal(err)
			}

			inRun, finish, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			release := sync.OnceFunc(func() { close(finish) })
			t.Cleanup(release) // a failed test must not hold the lease while the hub closes
			go func() {
				_, err := running.Hub.Jobs.WithIdleLease(ctx, connID, func() error {
					close(inRun)
					<-finish
					return nil
				})
				done <- err
			}()
			<-inRun
			for range 3 {
				if n, err := looking.Hub.MarkInterrupted(ctx); err != nil || n != 0 {
					t.Fatalf("a look while the run holds its lease marked %d runs: %v", n, err)
				}
			}
			if r := runOf(t, looking.Hub, run.ID); r.Status != syncer.RunRunning {
				t.Fatalf("the live run is %s", r.Status)
			}
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n, err := looking.Hub.MarkInterrupted(ctx); err != nil || n != 1 {
				t.Fatalf("a look once the lease is free marked %d runs: %v", n, err)
			}
			if r := runOf(t, looking.Hub, run.ID); r.Status != syncer.RunInterrupted {
				t.Fatalf("the run left behind is %s", r.Status)
			}
		})
	}
}

func runOf(t *testing.T, h *hub.Hub, id int64) store.SyncRun {
	t.Helper()
	var runs []store.SyncRun
	if err := h.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		runs, err = tx.SyncRuns(context.Background(), 7, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no run %d", id)
	return store.SyncRun{}
}

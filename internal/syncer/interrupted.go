package syncer

import (
	"context"
	"slices"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// RunInterrupted is a run whose process stopped (killed, crashed, its
// replica lost) before it could record how it ended. What its saved steps
// wrote stands, with their cursors: the next run goes on from there.
const RunInterrupted = "interrupted"

// RunningConnections lists the connections that have a run recorded as
// running, live or left behind by a process that died.
func (e *Engine) RunningConnections(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := e.st.View(ctx, func(tx store.Tx) error {
		runs, err := tx.SyncRunsWithStatus(ctx, RunRunning)
		for _, r := range runs {
			if !slices.Contains(ids, r.ConnectionID) {
				ids = append(ids, r.ConnectionID)
			}
		}
		return err
	})
	return ids, err
}

// MarkInterrupted records the connection's runs that are still marked
// running as interrupted, as of when each was last seen, and returns them.
// Only a caller that knows no live run of the connection exists may call
// it: one that holds the connection's lease.
func (e *Engine) MarkInterrupted(ctx context.Context, connectionID int64) ([]store.SyncRun, error) {
	var marked []store.SyncRun
	err := e.st.Update(ctx, func(tx store.Tx) error {
		runs, err := tx.SyncRunsWithStatus(ctx, RunRunning)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if r.ConnectionID != connectionID {
				continue
			}
			seen := r.StartedAt
			if r.HeartbeatAt.After(seen) {
				seen = r.HeartbeatAt
			}
			r.Status, r.FinishedAt = RunInterrupted, seen
			r.Error = "the process running it stopped before it finished (last seen " + seen.Format(time.RFC3339) +
				"); the next run goes on from the last step it saved"
			if err := tx.UpdateSyncRun(ctx, r); err != nil {
				return err
			}
			marked = append(marked, r)
		}
		return nil
	})
	return marked, err
}

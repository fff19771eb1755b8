package hub

import (
	"context"
	"errors"
	"time"
)

// InterruptedEvery is how often a hub on PostgreSQL looks for runs that a
// dead replica left running. On SQLite one process owns the file, so the
// look at start is enough.
const InterruptedEvery = 10 * time.Second

// markInterrupted records as interrupted the runs still marked running
// whose connection's lease nobody holds: no live run can be among them, so
// their process died. It returns how many it marked.
func (h *Hub) markInterrupted(ctx context.Context) (int, error) {
	ids, err := h.Syncer.RunningConnections(ctx)
	if err != nil {
		return 0, err
	}
	marked := 0
	var errs []error
	for _, id := range ids {
		_, err := h.Jobs.WithIdleLease(ctx, id, func() error {
			runs, err := h.Syncer.MarkInterrupted(ctx, id)
			for _, r := range runs {
				marked++
				h.log.Warn("a sync run's process stopped before the run finished; it is marked interrupted",
					"connection", id, "run", r.ID, "last_seen", r.FinishedAt)
			}
			return err
		})
		errs = append(errs, err)
	}
	return marked, errors.Join(errs...)
}

// lookForInterrupted marks interrupted runs, for the hub's background work.
func (h *Hub) lookForInterrupted(ctx context.Context) error {
	_, err := h.markInterrupted(ctx)
	return err
}

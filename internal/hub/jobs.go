package hub

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/jobs"
	"github.com/hubsync/hubsync/internal/store"
)

// FeedPoll is how often the hub looks for new changes that connections
// should deliver; a change reaches the queue within about this long.
const FeedPoll = 200 * time.Millisecond

// openQueue opens the durable queue of sync runs; write is SQLite's write
// connection, nil on PostgreSQL.
func (h *Hub) openQueue(ctx context.Context, write *sql.DB) error {
	cfg := jobs.Config{SQLite: write, Runner: runner{h}, Connections: h.syncedConnections, Logger: h.log}
	if write == nil {
		cfg.PostgresURL = h.cfg.DatabaseURL
	}
	q, err := jobs.Open(ctx, cfg)
	if err != nil {
		return err
	}
	h.Jobs = q
	return nil
}

// Enqueue asks for a sync run of a connection; requests made while one is
// waiting join it.
func (h *Hub) Enqueue(ctx context.Context, connectionID int64, trigger string) error {
	return h.Jobs.Enqueue(ctx, connectionID, trigger)
}

// runner lets the queue run syncs, telling it which failures to retry.
type runner struct{ h *Hub }

func (r runner) Run(ctx context.Context, connectionID int64, trigger string) error {
	err := r.h.Syncer.Run(ctx, connectionID, trigger)
	var ce *connector.Error
	switch {
	case errors.Is(err, connection.ErrHeld), errors.As(err, &ce) && ce.Definite:
		// The connection needs a person (a definite refusal has just put it
		// in needs_reconnect); its reconnect or resume asks for a run.
		return jobs.Held(err)
	case ce != nil && ce.RetryAfter > 0:
		return jobs.RetryAfter(err, ce.RetryAfter)
	}
	return err
}

// syncedConnections are the connections the schedule runs: those with an
// object sync that may sync now.
func (h *Hub) syncedConnections(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := h.Store.View(ctx, func(tx store.Tx) error {
		conns, err := tx.Connections(ctx)
		if err != nil {
			return err
		}
		for _, c := range conns {
			if c.Status != connection.StatusActive && c.Status != connection.StatusDegraded {
				continue
			}
			syncs, err := tx.ObjectSyncs(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(syncs) > 0 {
				ids = append(ids, c.ID)
			}
		}
		return nil
	})
	return ids, err
}

// catchUpAll asks for a run of every connection that syncs.
func (h *Hub) catchUpAll(ctx context.Context) {
	ids, err := h.syncedConnections(ctx)
	for _, id := range ids {
		err = errors.Join(err, h.Enqueue(ctx, id, jobs.TriggerSchedule))
	}
	if err != nil && ctx.Err() == nil {
		h.log.Warn("could not queue the runs that catch up after a start", "error", err)
	}
}

// watchFeed asks for a run of every connection that syncs an object type
// as soon as the hub's change feed shows a change to it, so a change
// reaches the other side within about a second. Writes a connection made
// itself do not wake it.
func (h *Hub) watchFeed(ctx context.Context) {
	var after int64
	if err := h.Store.View(ctx, func(tx store.Tx) error {
		var err error
		after, err = tx.LastChangeSeq(ctx)
		return err
	}); err != nil && ctx.Err() == nil {
		h.log.Warn("cannot read the change feed", "error", err)
	}
	t := time.NewTicker(FeedPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, err := h.wake(ctx, after)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("watching the change feed failed", "error", err)
			}
			continue
		}
		after = next
	}
}

// wake enqueues runs for the changes after seq and returns the new
// position.
func (h *Hub) wake(ctx context.Context, seq int64) (int64, error) {
	type want struct{ object, source string }
	seen := map[want]bool{}
	var syncs map[int64][]string
	err := h.Store.View(ctx, func(tx store.Tx) error {
		for {
			changes, err := tx.Changes(ctx, seq, 1000)
			if err != nil {
				return err
			}
			for _, c := range changes {
				seen[want{c.ObjectType, c.Source}] = true
				seq = c.Seq
			}
			if len(changes) < 1000 {
				break
			}
		}
		if len(seen) == 0 {
			return nil
		}
		var err error
		syncs, err = objectsByConnection(ctx, tx)
		return err
	})
	if err != nil || len(seen) == 0 {
		return seq, err
	}
	var errs []error
	for id, objects := range syncs {
		own := "sync:" + itoa(id)
		for w := range seen {
			if w.source != own && slices.Contains(objects, w.object) {
				errs = append(errs, h.Enqueue(ctx, id, jobs.TriggerFeed))
				break
			}
		}
	}
	return seq, errors.Join(errs...)
}

func objectsByConnection(ctx context.Context, tx store.Tx) (map[int64][]string, error) {
	conns, err := tx.Connections(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	for _, c := range conns {
		if c.Status != connection.StatusActive && c.Status != connection.StatusDegraded {
			continue
		}
		syncs, err := tx.ObjectSyncs(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range syncs {
			if s.Enabled {
				out[c.ID] = append(out[c.ID], s.HubObject)
			}
		}
	}
	return out, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

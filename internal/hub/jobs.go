package hub

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/jobs"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// FeedPoll is how often the hub looks for new changes that connections
// should deliver; a change reaches the queue within about this long.
const FeedPoll = 200 * time.Millisecond

// openQueue opens the durable queue of sync runs; write is SQLite's write
// connection, nil on PostgreSQL.
func (h *Hub) openQueue(ctx context.Context, write *sql.DB) error {
	cfg := jobs.Config{SQLite: write, Runner: runner{h}, Connections: h.scheduledConnections, Logger: h.log,
		Observer: h.Metrics.JobStarted}
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
		return eachSyncing(ctx, tx, func(c store.Connection, syncs []store.ObjectSync) error {
			if len(syncs) > 0 {
				ids = append(ids, c.ID)
			}
			return nil
		})
	})
	return ids, err
}

// scheduledConnections are the connections the schedule runs: those that
// sync, less those this process watches. A watched connection hears the
// other side's changes as they happen and is polled every
// watchedPollEvery besides, and the hub's own changes wake it (watchFeed),
// so a run a minute would only cost it, and a hundred idle connections a
// run each a minute.
func (h *Hub) scheduledConnections(ctx context.Context) ([]int64, error) {
	ids, err := h.syncedConnections(ctx)
	return slices.DeleteFunc(ids, h.watch.watched), err
}

// eachSyncing calls fn with each connection that may sync now and its
// object syncs.
func eachSyncing(ctx context.Context, tx store.Tx, fn func(store.Connection, []store.ObjectSync) error) error {
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
		if err := fn(c, syncs); err != nil {
			return err
		}
	}
	return nil
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
	polls := &poller{last: map[int64]time.Time{}, watch: h.watch}
	defer polls.watch.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := h.pollExternal(ctx, polls); err != nil && ctx.Err() == nil {
			h.log.Warn("polling external apps failed", "error", err)
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

// feedWakePage is how many changes wake reads per query.
const feedWakePage = 10000

// wake enqueues runs for the changes after seq and returns the new
// position.
func (h *Hub) wake(ctx context.Context, seq int64) (int64, error) {
	seen := map[store.ChangeSource]bool{}
	var syncs map[int64][]string
	err := h.Store.View(ctx, func(tx store.Tx) error {
		last, err := tx.LastChangeSeq(ctx)
		if err != nil || last <= seq {
			return err
		}
		if syncs, err = objectsByConnection(ctx, tx); err != nil {
			return err
		}
		if len(syncs) == 0 {
			// No connection to tell: pass over the changes unread, which
			// during bulk writes to a hub without syncs was all this cost.
			seq = last
			return nil
		}
		for {
			// Only who moved matters here, not the values: the runs this
			// wakes read the records themselves.
			page, err := tx.ChangeSources(ctx, seq, feedWakePage)
			if err != nil {
				return err
			}
			for _, cs := range page.Sources {
				seen[cs] = true
			}
			seq = page.LastSeq
			if page.Read < feedWakePage {
				return nil
			}
		}
	})
	if err != nil || len(seen) == 0 {
		return seq, err
	}
	var errs []error
	for id, objects := range syncs {
		own := syncer.Source(id)
		for w := range seen {
			if w.Source != own && slices.Contains(objects, w.ObjectType) {
				errs = append(errs, h.Enqueue(ctx, id, jobs.TriggerFeed))
				break
			}
		}
	}
	return seq, errors.Join(errs...)
}

// SettingPollInterval names the connection or integration setting that
// says how often the hub asks an external app for its changes (a Go
// duration, or "off"). External apps cannot tell the hub when they change,
// so this bounds how late their changes arrive.
const SettingPollInterval = "poll_interval"

// Default poll intervals: another hub or a database answers a poll
// cheaply; real HubSpot's rate limits are shared with every other call.
const (
	DefaultPollInterval = 500 * time.Millisecond
	HubSpotPollInterval = 10 * time.Second
)

// poller remembers, for this process, when each connection was last polled
// and which connections to poll.
type poller struct {
	last     map[int64]time.Time
	every    map[int64]time.Duration
	loadedAt time.Time
	// watch waits on the other side of connections whose connector can
	// (watch.go); those are polled only every watchedPollEvery.
	watch *watchers
}

// pollExternal queues a poll run for each connection whose interval has
// passed; requests join a run that already waits.
func (h *Hub) pollExternal(ctx context.Context, p *poller) error {
	now := time.Now()
	if now.Sub(p.loadedAt) > 5*time.Second {
		every, err := h.pollIntervals(ctx)
		if err != nil {
			return err
		}
		p.every, p.loadedAt = every, now
		p.watch.keep(ctx, h, every)
	}
	var errs []error
	for id, every := range p.every {
		if p.watch.watched(id) {
			every = max(every, watchedPollEvery)
		}
		if now.Sub(p.last[id]) < every {
			continue
		}
		p.last[id] = now
		errs = append(errs, h.Enqueue(ctx, id, syncer.TriggerPoll))
	}
	return errors.Join(errs...)
}

// pollIntervals are the poll intervals of the connections whose syncs
// bring external changes into the hub.
func (h *Hub) pollIntervals(ctx context.Context) (map[int64]time.Duration, error) {
	out := map[int64]time.Duration{}
	err := h.Store.View(ctx, func(tx store.Tx) error {
		integrations := map[int64]store.Integration{}
		return eachSyncing(ctx, tx, func(c store.Connection, syncs []store.ObjectSync) error {
			inbound := slices.ContainsFunc(syncs, func(s store.ObjectSync) bool {
				return s.Enabled && s.Direction != store.DirectionToApp
			})
			if !inbound {
				return nil
			}
			in, ok := integrations[c.IntegrationID]
			if !ok {
				var err error
				if in, err = tx.Integration(ctx, c.IntegrationID); err != nil {
					return err
				}
				integrations[c.IntegrationID] = in
			}
			if every, ok := pollInterval(in.Config, c.Config); ok {
				out[c.ID] = every
			}
			return nil
		})
	})
	return out, err
}

// pollInterval reads the poll setting, the connection's before the
// integration's; ok is false when polling is off.
func pollInterval(settings, config map[string]string) (time.Duration, bool) {
	v := config[SettingPollInterval]
	if v == "" {
		v = settings[SettingPollInterval]
	}
	switch {
	case v == "off":
		return 0, false
	case v != "":
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d, true
		}
	}
	if syncer.RealHubSpot(settings) {
		return HubSpotPollInterval, true
	}
	return DefaultPollInterval, true
}

// objectsByConnection lists the hub objects each connection that may sync
// has an enabled object sync of.
func objectsByConnection(ctx context.Context, tx store.Tx) (map[int64][]string, error) {
	out := map[int64][]string{}
	err := eachSyncing(ctx, tx, func(c store.Connection, syncs []store.ObjectSync) error {
		for _, s := range syncs {
			if s.Enabled {
				out[c.ID] = append(out[c.ID], s.HubObject)
			}
		}
		return nil
	})
	return out, err
}

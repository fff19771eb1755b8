package web

import (
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// syncLive is the connection's status and last run as the sync settings
// show them, live while a run asked for by a save is on its way.
type syncLive struct {
	Conn store.Connection
	Run  store.SyncRun
	// Watch: a "Save and sync" asked for a run after run After; until it
	// has ended and the connection has heard how it went, the part asks
	// again every second.
	Watch bool
	After int64
}

// Waiting reports whether the part should ask again: while a run is under
// way, or while the run a save asked for is still to come and can come (a
// paused or held connection gets none, so waiting for it never ends).
func (l syncLive) Waiting() bool {
	ended := l.Run.ID > l.After && l.Run.Status != syncer.RunRunning && !l.Conn.LastRunAt.Before(l.Run.FinishedAt)
	return l.Watch && !ended && connection.MaySync(l.Conn) || l.Run.Status == syncer.RunRunning
}

// Written sums the run's counts of what, over objects and directions
// ("created", "updated", "archived", "failed").
func (l syncLive) Written(what string) int {
	n := 0
	for k, c := range l.Run.Counts {
		if strings.HasSuffix(k, "."+what) {
			n += c
		}
	}
	return n
}

// syncLiveOf reads the connection's last run; the query's after says which
// run a save asked for comes after.
func (c *Console) syncLiveOf(v *visit, conn store.Connection) (syncLive, error) {
	l := syncLive{Conn: conn}
	if after := v.r.URL.Query().Get("after"); after != "" {
		l.After, _ = strconv.ParseInt(after, 10, 64)
		l.Watch = true
	}
	runs, err := c.Syncer.Runs(v.r.Context(), conn.ID, 1)
	if err == nil && len(runs) > 0 {
		l.Run = runs[0]
	}
	return l, err
}

// syncLivePart is the live part of the sync settings.
func (c *Console) syncLivePart(v *visit) error {
	conn, err := c.syncPathConnection(v)
	if err != nil {
		return err
	}
	l, err := c.syncLiveOf(v, conn)
	if err != nil {
		return err
	}
	return c.part(v, "sync", "live-part", l)
}

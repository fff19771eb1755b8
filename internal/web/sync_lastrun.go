package web

import (
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// syncLastRun is the connection's last run as the sync settings show it,
// live while a run asked for by a save is on its way.
type syncLastRun struct {
	ConnID int64
	Run    store.SyncRun
	// After is the last run before a "Save and sync": until a later one
	// has ended, the part asks again every second.
	After int64
	Watch bool
}

// Waiting reports whether the run asked for has not ended yet.
func (l syncLastRun) Waiting() bool {
	return l.Watch && l.Run.ID <= l.After || l.Run.Status == syncer.RunRunning
}

// Written sums the run's counts of what, over objects and directions
// ("created", "updated", "archived", "failed").
func (l syncLastRun) Written(what string) int {
	n := 0
	for k, c := range l.Run.Counts {
		if strings.HasSuffix(k, "."+what) {
			n += c
		}
	}
	return n
}

// syncLastRunOf reads the connection's last run; the query's after says
// which run a save asked for comes after.
func (c *Console) syncLastRunOf(v *visit, connID int64) (syncLastRun, error) {
	l := syncLastRun{ConnID: connID}
	if after := v.r.URL.Query().Get("after"); after != "" {
		l.After, _ = strconv.ParseInt(after, 10, 64)
		l.Watch = true
	}
	runs, err := c.Syncer.Runs(v.r.Context(), connID, 1)
	if err == nil && len(runs) > 0 {
		l.Run = runs[0]
	}
	return l, err
}

// syncLastRun is the live part of the sync settings showing the last run.
func (c *Console) syncLastRun(v *visit) error {
	conn, err := c.syncPathConnection(v)
	if err != nil {
		return err
	}
	l, err := c.syncLastRunOf(v, conn.ID)
	if err != nil {
		return err
	}
	return c.part(v, "sync", "lastrun-part", l)
}

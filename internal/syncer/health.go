package syncer

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// HealthWindow is how far back a connection's health and activity look
// at its runs.
const HealthWindow = 7 * 24 * time.Hour

// ObjectHealth is how one object sync is doing.
type ObjectHealth struct {
	Sync store.ObjectSync
	// InSync is how many records are linked on both sides and not failing.
	InSync int
	// Excluded is how many records the runs of the HealthWindow set aside
	// because a filter excludes them.
	Excluded int
	// Failing is how many records are quarantined, waiting for a retry.
	Failing int
}

// ErrorGroup is the open record errors of one kind, newest first.
type ErrorGroup struct {
	Reason string
	Errors []store.RecordError
}

// Health is a connection's sync health: per object sync, and its failing
// records grouped by kind of error, the largest group first.
type Health struct {
	Objects []ObjectHealth
	Groups  []ErrorGroup
	// Since is where the HealthWindow starts.
	Since time.Time
}

// Failing is how many records are quarantined in all.
func (h Health) Failing() int {
	n := 0
	for _, g := range h.Groups {
		n += len(g.Errors)
	}
	return n
}

// Health reads a connection's sync health.
func (e *Engine) Health(ctx context.Context, connectionID int64) (Health, error) {
	h := Health{Since: windowStart(e.clock())}
	var errs []store.RecordError
	var totals []store.RunTotal
	err := e.st.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Connection(ctx, connectionID); err != nil {
			return err
		}
		syncs, err := tx.ObjectSyncs(ctx, connectionID)
		if err != nil {
			return err
		}
		for _, os := range syncs {
			n, err := tx.CountLinks(ctx, os.ID)
			if err != nil {
				return err
			}
			h.Objects = append(h.Objects, ObjectHealth{Sync: os, InSync: n})
		}
		if errs, err = tx.RecordErrors(ctx, connectionID, true, MaxListed); err != nil {
			return err
		}
		return leaveOutFailing(ctx, tx, h.Objects, errs)
	})
	if err == nil {
		totals, err = e.windowTotals(ctx, connectionID, h.Since)
	}
	if err != nil {
		return Health{}, err
	}
	bySync := map[int64]*ObjectHealth{}
	for i := range h.Objects {
		bySync[h.Objects[i].Sync.ID] = &h.Objects[i]
	}
	for _, re := range errs {
		if o := bySync[re.SyncID]; o != nil {
			o.Failing++
		}
	}
	h.Groups = groupByReason(errs)
	for _, rt := range totals {
		for i := range h.Objects {
			o := &h.Objects[i]
			if rt.Key == o.Sync.HubObject+".to_app.skipped_filter" || rt.Key == o.Sync.HubObject+".to_hub.skipped_filter" {
				o.Excluded += rt.Sum
			}
		}
	}
	return h, nil
}

// written says a count key counts records written.
func written(key string) bool {
	switch key[strings.LastIndexByte(key, '.')+1:] {
	case "created", "updated", "archived":
		return true
	}
	return false
}

// leaveOutFailing takes the failing records out of the objects' linked
// counts: one being created leaves a pending link, one being updated has
// its own, and neither is in sync.
func leaveOutFailing(ctx context.Context, tx store.Tx, objects []ObjectHealth, errs []store.RecordError) error {
	byHub, byApp := map[int64][]int64{}, map[int64][]string{}
	for _, re := range errs {
		if re.HubID != 0 {
			byHub[re.SyncID] = append(byHub[re.SyncID], re.HubID)
		} else if re.ExternalID != "" {
			byApp[re.SyncID] = append(byApp[re.SyncID], re.ExternalID)
		}
	}
	for i := range objects {
		o := &objects[i]
		linked, err := tx.LinksByHubID(ctx, o.Sync.ID, byHub[o.Sync.ID])
		if err != nil {
			return err
		}
		o.InSync -= len(linked)
		if linked, err = tx.LinksByExternalID(ctx, o.Sync.ID, byApp[o.Sync.ID]); err != nil {
			return err
		}
		o.InSync -= len(linked)
	}
	return nil
}

// groupByReason groups record errors by kind, the largest group first.
func groupByReason(errs []store.RecordError) []ErrorGroup {
	groups := map[string]*ErrorGroup{}
	for _, re := range errs {
		g := groups[re.Reason]
		if g == nil {
			g = &ErrorGroup{Reason: re.Reason}
			groups[re.Reason] = g
		}
		g.Errors = append(g.Errors, re)
	}
	out := make([]ErrorGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b ErrorGroup) int {
		return cmp.Or(cmp.Compare(len(b.Errors), len(a.Errors)), strings.Compare(a.Reason, b.Reason))
	})
	return out
}

// windowStart is where the HealthWindow ending with the hour of now starts.
func windowStart(now time.Time) time.Time {
	return now.Truncate(time.Hour).Add(time.Hour - HealthWindow)
}

// Hourly is how many records a connection's runs wrote in each hour of
// the HealthWindow, oldest hour first, by the hour each run started.
func (e *Engine) Hourly(ctx context.Context, connectionID int64) (start time.Time, counts []int, err error) {
	start = windowStart(e.clock())
	totals, err := e.windowTotals(ctx, connectionID, start)
	if err != nil {
		return time.Time{}, nil, err
	}
	counts = make([]int, int(HealthWindow/time.Hour))
	for _, rt := range totals {
		if i := int(rt.Hour.Sub(start) / time.Hour); i >= 0 && i < len(counts) && written(rt.Key) {
			counts[i] += rt.Sum
		}
	}
	return start, counts, nil
}

// settleAfter is how long after the hour it started in a run's counts are
// taken as final, unless it is still running.
const settleAfter = 2 * time.Hour

// connTotals are the run totals of one connection's settled hours, those
// before upTo, so that a page reads only the last hours' runs.
type connTotals struct {
	mu     sync.Mutex
	upTo   time.Time
	totals []store.RunTotal
}

// windowTotals sums a connection's run counts per hour and key since the
// hour since: the settled hours from memory, the others from the store.
func (e *Engine) windowTotals(ctx context.Context, connectionID int64, since time.Time) ([]store.RunTotal, error) {
	v, _ := e.totals.LoadOrStore(connectionID, &connTotals{})
	c := v.(*connTotals)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.upTo.Before(since) {
		c.upTo, c.totals = since, nil
	}
	var fresh []store.RunTotal
	settled := e.clock().Truncate(time.Hour).Add(-settleAfter)
	err := e.st.View(ctx, func(tx store.Tx) error {
		var err error
		if fresh, err = tx.SyncRunTotals(ctx, connectionID, c.upTo); err != nil {
			return err
		}
		// A run still going (a first sync of a large account, say) has
		// counts yet to come: its hour is not settled.
		running, err := tx.SyncRunsWithStatus(ctx, RunRunning)
		for _, r := range running {
			if r.ConnectionID == connectionID && r.StartedAt.Before(settled) {
				settled = r.StartedAt.UTC().Truncate(time.Hour)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	kept := c.totals[:0]
	for _, rt := range c.totals {
		if !rt.Hour.Before(since) {
			kept = append(kept, rt)
		}
	}
	c.totals = kept
	var recent []store.RunTotal
	for _, rt := range fresh {
		if rt.Hour.Before(settled) {
			c.totals = append(c.totals, rt)
		} else {
			recent = append(recent, rt)
		}
	}
	if settled.After(c.upTo) {
		c.upTo = settled
	}
	return append(slices.Clone(c.totals), recent...), nil
}

// RetryGroup retries every open record error of a connection of one kind
// (reason), as Retry does each, and says how many it retried and how many
// of them went through.
func (e *Engine) RetryGroup(ctx context.Context, a audit.Actor, connectionID int64, reason string) (retried, resolved int, err error) {
	errs, err := e.RecordErrors(ctx, connectionID, true, MaxListed)
	if err != nil {
		return 0, 0, err
	}
	var ids []int64
	for _, re := range errs {
		if re.Reason == reason {
			ids = append(ids, re.ID)
		}
	}
	for _, id := range ids {
		if err := e.Retry(ctx, a, connectionID, id); err != nil {
			return retried, resolved, err
		}
		retried++
	}
	left, err := e.RecordErrors(ctx, connectionID, true, MaxListed)
	if err != nil {
		return retried, 0, err
	}
	open := map[int64]bool{}
	for _, re := range left {
		open[re.ID] = true
	}
	for _, id := range ids {
		if !open[id] {
			resolved++
		}
	}
	return retried, resolved, nil
}

// RunsBefore lists a connection's runs older than run beforeID, newest
// first: limit of them, at most MaxListed. It pages on from Runs.
func (e *Engine) RunsBefore(ctx context.Context, connectionID, beforeID int64, limit int) ([]store.SyncRun, error) {
	limit = min(limit, MaxListed)
	var out []store.SyncRun
	err := e.st.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.SyncRunsBefore(ctx, connectionID, beforeID, limit)
		return err
	})
	return out, err
}

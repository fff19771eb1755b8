package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// runsPerPage is how many runs one page of the timeline lists.
const connRunsPerPage = 25

// connectionActivity shows records synced per hour over the last week and
// the run timeline, a page at a time.
func (c *Console) connectionActivity(v *visit) error {
	p, err := c.connectionFor(v, "activity")
	if err != nil {
		return err
	}
	start, counts, err := c.Syncer.Hourly(v.r.Context(), p.Connection.ID)
	if err != nil {
		return err
	}
	p.Chart = newHourChart(start, counts)
	if err := c.runPage(v, &p); err != nil {
		return err
	}
	if err := c.stamp(v, "runs-live", &p); err != nil {
		return err
	}
	return c.showConnection(v, http.StatusOK, p)
}

// connectionActivityPart is the timeline alone, which the page fetches
// every second so a running run's progress and new runs show without
// reloading.
func (c *Console) connectionActivityPart(v *visit) error {
	p, err := c.connectionFor(v, "activity")
	if err != nil {
		return err
	}
	if err := c.runPage(v, &p); err != nil {
		return err
	}
	return c.livePart(v, "runs-live", p)
}

// runPage fills p with a page of runs: the newest, or with ?before= a
// run's id, those older than it.
func (c *Console) runPage(v *visit, p *connectionPage) error {
	before, _ := strconv.ParseInt(v.r.URL.Query().Get("before"), 10, 64)
	var runs []store.SyncRun
	var err error
	if before > 0 {
		runs, err = c.Syncer.RunsBefore(v.r.Context(), p.Connection.ID, before, connRunsPerPage+1)
	} else {
		runs, err = c.Syncer.Runs(v.r.Context(), p.Connection.ID, connRunsPerPage+1)
	}
	if err != nil {
		return err
	}
	now := time.Now()
	for _, r := range runs[:min(len(runs), connRunsPerPage)] {
		p.Runs = append(p.Runs, newTimelineRun(r, now))
	}
	base := connectionURL(p.Connection.ID, "activity", "")
	if before > 0 {
		p.Pager.Prev = base
	}
	if len(runs) > connRunsPerPage {
		p.Pager.Next = base + "?before=" + strconv.FormatInt(p.Runs[connRunsPerPage-1].ID, 10)
	}
	return nil
}

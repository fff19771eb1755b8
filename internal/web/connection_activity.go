package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/syncer"
)

// runsPerPage is how many runs one page of the timeline lists.
const runsPerPage = 25

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
	p.Chart = newChart(start, counts)
	if err := c.runPage(v, &p); err != nil {
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
	return c.part(v, "connection", "runs-live", p)
}

// runPage fills p with the page of runs the query asks for (?page=, from 1).
func (c *Console) runPage(v *visit, p *connectionPage) error {
	page, _ := strconv.Atoi(v.r.URL.Query().Get("page"))
	page = max(page, 1)
	page = min(page, syncer.MaxListed/runsPerPage)
	runs, err := c.Syncer.Runs(v.r.Context(), p.Connection.ID, page*runsPerPage+1)
	if err != nil {
		return err
	}
	from := min((page-1)*runsPerPage, len(runs))
	to := min(page*runsPerPage, len(runs))
	now := time.Now()
	for _, r := range runs[from:to] {
		p.Runs = append(p.Runs, newRunRow(r, now))
	}
	base := connectionURL(p.Connection.ID, "activity", "")
	if page > 1 {
		p.Pager.Prev = base + "?page=" + strconv.Itoa(page-1)
	}
	if len(runs) > to && page < syncer.MaxListed/runsPerPage {
		p.Pager.Next = base + "?page=" + strconv.Itoa(page+1)
	}
	return nil
}

package web

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// connectionPage is what every tab of a connection's page gets; each tab
// fills its own fields.
type connectionPage struct {
	connection.Summary
	// Tab is the section shown: status, health, activity, diagnose, audit.
	Tab string
	// Refused is why an approval on the external app was not taken, in the
	// domain's words, right after the browser came back.
	Refused string
	// Recent are the newest runs, shown live on the status tab.
	Recent []timelineRun

	Health    syncer.Health
	Chart     hourChart
	Runs      []timelineRun
	Pager     connPager
	Diagnosis connection.Diagnosis
	Audit     []store.AuditEvent
	// Users are whom a connection may be reconnected as or transferred to.
	Users []store.User
	// Problem is what was wrong with a confirmation form.
	Problem string
	// Seen versions the live part of the page, so a poll that finds it
	// unchanged leaves it as it is (and the focus where it was).
	Seen string
}

// pager links the pages of a list.
type connPager struct {
	Prev, Next string
}

// Held says something is wrong with the connection (the domain's broken
// statuses), not a person's choice: Reconnect is then the first action
// offered.
func (p connectionPage) Held() bool { return connection.Broken(p.Connection.Status) }

// OwnerGone says the connector user of a user-mode connection left the
// hub (removed or deactivated): a reconnect must name someone else.
func (p connectionPage) OwnerGone() bool {
	return p.Connection.AuthMode != connection.ModeApp && p.Connection.OwnerID != 0 && p.Owner.Status != identity.StatusActive
}

// Deleted says the connection was deleted: nothing can be done with it.
func (p connectionPage) Deleted() bool { return p.Connection.Status == connection.StatusDisconnected }

// ExternalIdentity is who and where the connection acts on the external
// app, as the app said at the last approval.
func (p connectionPage) ExternalIdentity() string { return externalIdentity(p.Connection) }

func externalIdentity(c store.Connection) string {
	user, account := c.External["user"], c.External["account"]
	switch {
	case user != "" && account != "":
		return user + " on " + account
	case user != "":
		return user
	case account != "":
		return "account " + account
	}
	return ""
}

// Person is how pages name a user: email, or their id when they are gone.
func connPerson(u store.User) string {
	switch {
	case u.Email != "":
		return u.Email
	case u.ID != 0:
		return "user " + strconv.FormatInt(u.ID, 10) + " (no longer in the hub)"
	}
	return "nobody"
}

func init() {
	funcs["connPerson"] = connPerson
}

// connectionFor reads the connection of the path with its summary, if the
// signed-in person may see it; one they may not see is not found, so its
// existence is not told either.
func (c *Console) connectionFor(v *visit, tab string) (connectionPage, error) {
	id, err := v.pathID("id")
	if err != nil {
		return connectionPage{}, err
	}
	sum, err := c.Connections.Summarize(v.r.Context(), id)
	if err != nil {
		return connectionPage{}, err
	}
	if !connection.Sees(&v.user, sum.Connection) {
		return connectionPage{}, store.ErrNotFound
	}
	return connectionPage{Summary: sum, Tab: tab}, nil
}

func (c *Console) showConnection(v *visit, status int, p connectionPage) error {
	return c.show(v, status, "connection", p.Connection.Name, "connections", p)
}

func (c *Console) connectionShow(v *visit) error {
	p, err := c.connectionFor(v, "status")
	if err != nil {
		return err
	}
	if p.Recent, err = c.recentRuns(v, p.Connection.ID, 3); err != nil {
		return err
	}
	p.Refused = c.signedRefusal(v)
	if err := c.stamp(v, "status-live", &p); err != nil {
		return err
	}
	return c.showConnection(v, http.StatusOK, p)
}

// connectionStatusPart is the status section alone, which the page fetches
// every second so a change shows without reloading.
func (c *Console) connectionStatusPart(v *visit) error {
	p, err := c.connectionFor(v, "status")
	if err != nil {
		return err
	}
	if p.Recent, err = c.recentRuns(v, p.Connection.ID, 3); err != nil {
		return err
	}
	return c.livePart(v, "status-live", p)
}

// stamp sets p.Seen to the version of block as p renders it now.
func (c *Console) stamp(v *visit, block string, p *connectionPage) error {
	p.Seen = ""
	body, err := execute("connection", block, v.page("", "", *p))
	if err != nil {
		return err
	}
	h := fnv.New64a()
	h.Write(body)
	p.Seen = strconv.FormatUint(h.Sum64(), 36)
	return nil
}

// livePart answers a poll of a live part: 204, which htmx leaves alone,
// while it is as the browser last saw it, else the part anew.
func (c *Console) livePart(v *visit, block string, p connectionPage) error {
	if err := c.stamp(v, block, &p); err != nil {
		return err
	}
	if p.Seen == v.r.URL.Query().Get("seen") {
		v.w.Header().Set("Cache-Control", "no-store")
		v.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return c.part(v, "connection", block, p)
}

func (c *Console) recentRuns(v *visit, id int64, n int) ([]timelineRun, error) {
	runs, err := c.Syncer.Runs(v.r.Context(), id, n)
	rows := make([]timelineRun, len(runs))
	for i, r := range runs {
		rows[i] = newTimelineRun(r, time.Now())
	}
	return rows, err
}

// runRow is a run as the timeline shows it.
type timelineRun struct {
	store.SyncRun
	// By says who or what started the run.
	By string
	// Took is how long it ran, or has run so far.
	Took string
	// Summary counts what it did, by kind, across objects.
	Summary string
	Running bool
}

// startedBy words what a run's trigger means.
var runStartedBy = map[string]string{
	"schedule":  "the schedule",
	"feed":      "a change in this hub",
	"change":    "a change in this hub",
	"resume":    "the resume (catch-up)",
	"check":     "a health check that found it working again",
	"manual":    "a person (sync now)",
	"reconnect": "the reconnect (catch-up)",
	"connect":   "the approval (first sync)",
	"retry":     "a person (retry of failed records)",
	"poll":      "polling the external app",
}

// countKinds orders a run's counts as a person reads them; kinds not
// listed come after, by name.
var runCountKinds = []string{"read", "created", "updated", "archived", "matched", "unchanged", "conflicts",
	"skipped_filter", "skipped_missing", "failed"}

func byRunCountKind(a, b string) int {
	i, j := slices.Index(runCountKinds, a), slices.Index(runCountKinds, b)
	if i < 0 {
		i = len(runCountKinds)
	}
	if j < 0 {
		j = len(runCountKinds)
	}
	return cmp.Or(cmp.Compare(i, j), strings.Compare(a, b))
}

func newTimelineRun(r store.SyncRun, now time.Time) timelineRun {
	row := timelineRun{SyncRun: r, By: runStartedBy[r.Trigger], Running: r.Status == "running"}
	if row.By == "" {
		row.By = r.Trigger
	}
	end := r.FinishedAt
	if end.IsZero() {
		end = now
	}
	row.Took = end.Sub(r.StartedAt).Round(time.Millisecond).String()
	byKind := map[string]int{}
	for k, n := range r.Counts {
		byKind[k[strings.LastIndexByte(k, '.')+1:]] += n
	}
	var parts []string
	for _, kind := range slices.SortedFunc(maps.Keys(byKind), byRunCountKind) {
		if n := byKind[kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(kind, "_", " ")))
		}
	}
	row.Summary = strings.Join(parts, ", ")
	if row.Summary == "" {
		row.Summary = "nothing to do"
	}
	return row
}

// connectionURL is a tab of the page of connection id ("" for status),
// with a one-line notice.
func connectionURL(id int64, tab, notice string) string {
	u := "/connections/" + strconv.FormatInt(id, 10)
	if tab != "" {
		u += "/" + tab
	}
	if notice != "" {
		u += "?notice=" + url.QueryEscape(notice)
	}
	return u
}

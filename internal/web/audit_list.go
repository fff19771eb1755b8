package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// auditPageSize is how many events a page of the audit log shows.
const auditPageSize = 50

// auditRow is one event as the page shows it.
type auditRow struct {
	store.AuditEvent
	Changes []auditChange
	Link    string
}

// auditListData is the audit log page.
type auditListData struct {
	Filter auditFilter
	Events []auditRow
	// Error says why the filter was refused; the page shows no events then.
	Error string
	// Older is the next page's link, "" on the last; Newest is the first
	// page's, "" on the first.
	Older, Newest string
	CSV           string
	// Actors are who the actor field suggests: the hub's users, the
	// command line and the system.
	Actors []string
}

// maxSuggested bounds the actor suggestions of a hub with many users.
const maxSuggested = 500

// actors are the actor labels the log uses, for the filter's suggestions.
func (c *Console) actors(v *visit) ([]string, error) {
	users, err := c.Identity.Users(v.r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, min(len(users), maxSuggested)+2)
	for _, u := range users[:min(len(users), maxSuggested)] {
		out = append(out, u.Email)
	}
	return append(out, audit.CLI.Label, audit.System.Label), nil
}

func (c *Console) auditList(v *visit) error {
	actors, err := c.actors(v)
	if err != nil {
		return err
	}
	f, q, err := readAuditFilter(v.r)
	data := auditListData{Filter: f, CSV: f.link("/audit.csv"), Actors: actors}
	if before := v.r.URL.Query().Get("before"); before != "" && err == nil {
		q.BeforeSeq, err = strconv.ParseInt(before, 10, 64)
		if err != nil || q.BeforeSeq < 1 {
			err = errors.New("the page asked for is not a position in the log; start from the newest")
		}
		data.Newest = f.link("/audit")
	}
	if err != nil {
		data.Error = asSentence(err)
		if errors.Is(err, audit.ErrInvalid) {
			data.Error = "The time range could not be read. " + asSentence(err)
		}
		return c.show(v, http.StatusBadRequest, "audit", "Audit log", "audit", data)
	}
	// One more than a page says whether an older page exists.
	q.Limit = auditPageSize + 1
	events, err := c.Audit.List(v.r.Context(), q)
	if err != nil {
		return err
	}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		data.Older = f.link("/audit", "before", strconv.FormatInt(events[len(events)-1].Seq, 10))
	}
	for _, e := range events {
		data.Events = append(data.Events, auditRow{AuditEvent: e, Changes: auditChanges(e), Link: auditTarget(e)})
	}
	return c.show(v, http.StatusOK, "audit", "Audit log", "audit", data)
}

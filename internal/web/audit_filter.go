package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// auditFilter is the audit log's filter form, as typed: the page shows it
// back, and its links (older, CSV) carry it.
type auditFilter struct {
	Actor, Action, Since, Until, TargetType, TargetID string
}

// readAuditFilter reads the filter form into the query the audit log
// takes; the time range is read by the audit package, as the API and the
// command line read it.
func readAuditFilter(r *http.Request) (auditFilter, store.AuditQuery, error) {
	q := r.URL.Query()
	f := auditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until")),
		TargetType: strings.TrimSpace(q.Get("target_type")), TargetID: strings.TrimSpace(q.Get("target_id"))}
	aq := store.AuditQuery{Actor: f.Actor, Action: f.Action, TargetType: f.TargetType, TargetID: f.TargetID}
	var err error
	aq.Since, aq.Until, err = audit.ParseRange(f.Since, f.Until, time.Now())
	return f, aq, err
}

// values are the filter as query parameters, without the empty ones.
func (f auditFilter) values() url.Values {
	v := url.Values{}
	for _, p := range [][2]string{{"actor", f.Actor}, {"action", f.Action}, {"since", f.Since}, {"until", f.Until},
		{"target_type", f.TargetType}, {"target_id", f.TargetID}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	return v
}

// Active says whether any filter is set.
func (f auditFilter) Active() bool { return len(f.values()) > 0 }

// link is path with the filter and extra parameters.
func (f auditFilter) link(path string, extra ...string) string {
	v := f.values()
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// auditChange is one field an audit event changed.
type auditChange struct {
	Field, Before, After string
	Had, Has             bool
}

// auditChanges are an event's fields in name order, each with its value
// before and after.
func auditChanges(e store.AuditEvent) []auditChange {
	var names []string
	for k := range e.Before {
		names = append(names, k)
	}
	for k := range e.After {
		if _, ok := e.Before[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	out := make([]auditChange, 0, len(names))
	for _, k := range names {
		b, had := e.Before[k]
		a, has := e.After[k]
		if had && has && a == b {
			continue
		}
		out = append(out, auditChange{Field: k, Before: b, After: a, Had: had, Has: has})
	}
	return out
}

// auditTarget is where a target leads: a connection's own page, else the
// target's history in the log; "" for an event without a target id.
func auditTarget(e store.AuditEvent) string {
	if e.TargetID == "" {
		return ""
	}
	if _, err := strconv.ParseInt(e.TargetID, 10, 64); err == nil && e.TargetType == "connection" {
		return "/connections/" + e.TargetID
	}
	return auditFilter{TargetType: e.TargetType, TargetID: e.TargetID}.link("/audit")
}

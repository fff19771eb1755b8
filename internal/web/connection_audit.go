package web

import (
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/hubsync/hubsync/internal/store"
)

// auditPerPage is how many entries one page of a connection's audit lists.
const auditPerPage = 50

// connectionAudit lists this connection's audit entries, newest first, a
// page at a time (?before= the last entry's number).
func (c *Console) connectionAudit(v *visit) error {
	p, err := c.connectionFor(v, "audit")
	if err != nil {
		return err
	}
	before, _ := strconv.ParseInt(v.r.URL.Query().Get("before"), 10, 64)
	q := store.AuditQuery{TargetType: "connection", TargetID: strconv.FormatInt(p.Connection.ID, 10),
		BeforeSeq: max(before, 0), Limit: auditPerPage + 1}
	if p.Audit, err = c.Audit.List(v.r.Context(), q); err != nil {
		return err
	}
	if len(p.Audit) > auditPerPage {
		p.Audit = p.Audit[:auditPerPage]
		p.Pager.Next = connectionURL(p.Connection.ID, "audit", "") + "?before=" + strconv.FormatInt(p.Audit[auditPerPage-1].Seq, 10)
	}
	if before > 0 {
		p.Pager.Prev = connectionURL(p.Connection.ID, "audit", "")
	}
	return c.showConnection(v, http.StatusOK, p)
}

func init() {
	funcs["changes"] = auditChanges
}

// auditChange is one field an audit entry changed.
type auditChange struct {
	Field, Before, After string
}

// auditChanges lists the fields an entry changed, or set when it has no
// before.
func auditChanges(e store.AuditEvent) []auditChange {
	var out []auditChange
	seen := map[string]bool{}
	for _, k := range sortedKeys(e.After) {
		seen[k] = true
		if e.Before[k] != e.After[k] {
			out = append(out, auditChange{k, e.Before[k], e.After[k]})
		}
	}
	for _, k := range sortedKeys(e.Before) {
		if !seen[k] {
			out = append(out, auditChange{k, e.Before[k], ""})
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

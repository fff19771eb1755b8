package web

import (
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/hubsync/hubsync/internal/store"
)

// auditPerPage is how many entries one page of a connection's audit lists.
const connAuditPerPage = 50

// connectionAudit lists this connection's audit entries, newest first, a
// page at a time (?before= the last entry's number).
func (c *Console) connectionAudit(v *visit) error {
	p, err := c.connectionFor(v, "audit")
	if err != nil {
		return err
	}
	before, _ := strconv.ParseInt(v.r.URL.Query().Get("before"), 10, 64)
	q := store.AuditQuery{TargetType: "connection", TargetID: strconv.FormatInt(p.Connection.ID, 10),
		BeforeSeq: max(before, 0), Limit: connAuditPerPage + 1}
	if p.Audit, err = c.Audit.List(v.r.Context(), q); err != nil {
		return err
	}
	if len(p.Audit) > connAuditPerPage {
		p.Audit = p.Audit[:connAuditPerPage]
		p.Pager.Next = connectionURL(p.Connection.ID, "audit", "") + "?before=" + strconv.FormatInt(p.Audit[connAuditPerPage-1].Seq, 10)
	}
	if before > 0 {
		p.Pager.Prev = connectionURL(p.Connection.ID, "audit", "")
	}
	return c.showConnection(v, http.StatusOK, p)
}

func init() {
	funcs["connChanges"] = connAuditChanges
}

// auditChange is one field an audit entry changed.
type connAuditChange struct {
	Field, Before, After string
}

// auditChanges lists the fields an entry changed, or set when it has no
// before.
func connAuditChanges(e store.AuditEvent) []connAuditChange {
	var out []connAuditChange
	seen := map[string]bool{}
	for _, k := range connSortedKeys(e.After) {
		seen[k] = true
		if e.Before[k] != e.After[k] {
			out = append(out, connAuditChange{k, e.Before[k], e.After[k]})
		}
	}
	for _, k := range connSortedKeys(e.Before) {
		if !seen[k] {
			out = append(out, connAuditChange{k, e.Before[k], ""})
		}
	}
	return out
}

func connSortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

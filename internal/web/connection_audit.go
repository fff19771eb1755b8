package web

import (
	"net/http"
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
	funcs["auditChanges"] = auditChanges
}

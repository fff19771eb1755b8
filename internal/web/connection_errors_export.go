package web

import (
	"encoding/csv"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/syncer"
)

// connectionErrorsExport writes the connection's failing records as CSV,
// one row each, for a spreadsheet or a ticket.
func (c *Console) connectionErrorsExport(v *visit) error {
	p, err := c.connectionFor(v, "health")
	if err != nil {
		return err
	}
	errs, err := c.Syncer.RecordErrors(v.r.Context(), p.Connection.ID, true, syncer.MaxListed)
	if err != nil {
		return err
	}
	objects := map[int64]string{}
	for _, os := range p.Syncs {
		objects[os.ID] = os.HubObject
	}
	h := v.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="connection-`+strconv.FormatInt(p.Connection.ID, 10)+`-failing-records.csv"`)
	h.Set("Cache-Control", "no-store")
	out := csv.NewWriter(v.w)
	_ = out.Write([]string{"id", "object_sync", "object", "refused_by", "hub_id", "external_id", "reason", "message",
		"attempts", "first_seen", "last_seen"})
	for _, e := range errs {
		hubID := ""
		if e.HubID != 0 {
			hubID = strconv.FormatInt(e.HubID, 10)
		}
		_ = out.Write([]string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.SyncID, 10), objects[e.SyncID], e.Side,
			hubID, cell(e.ExternalID), e.Reason, cell(e.Message), strconv.Itoa(e.Attempts),
			e.CreatedAt.UTC().Format(time.RFC3339), e.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	out.Flush()
	return out.Error()
}

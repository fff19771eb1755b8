package web

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// auditExportMax bounds an export; a longer history is exported in time
// ranges.
const auditExportMax = 100_000

// auditExport writes the events the filter selects as CSV, newest first,
// every page of them.
func (c *Console) auditExport(v *visit) error {
	_, q, err := readAuditFilter(v.r)
	if err != nil {
		return err
	}
	h := v.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-`+time.Now().UTC().Format("20060102-1504")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	out := csv.NewWriter(v.w)
	out.Write([]string{"seq", "at", "actor", "actor_id", "action", "target_type", "target_id", "before", "after"})
	q.Limit = audit.MaxListLimit
	for written := 0; written < auditExportMax; {
		events, err := c.Audit.List(v.r.Context(), q)
		if err != nil {
			// Headers are out: end the file where it broke, and say so in the log.
			c.log.Error("audit export", "error", err.Error())
			break
		}
		for _, e := range events {
			out.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339), cell(e.Actor),
				strconv.FormatInt(e.ActorID, 10), cell(e.Action), cell(e.TargetType), cell(e.TargetID),
				cell(fields(e.Before)), cell(fields(e.After))})
		}
		written += len(events)
		if len(events) < q.Limit {
			break
		}
		q.BeforeSeq = events[len(events)-1].Seq
	}
	out.Flush()
	return nil
}

// fields are a before or after map as one cell: name=value pairs in name
// order, separated by "; ".
func fields(m map[string]string) string {
	var parts []string
	for _, ch := range auditChanges(store.AuditEvent{After: m}) {
		parts = append(parts, ch.Field+"="+ch.After)
	}
	return strings.Join(parts, "; ")
}

// cell keeps a spreadsheet from reading a value as a formula: the log holds
// what people typed (names, URLs), which must stay text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

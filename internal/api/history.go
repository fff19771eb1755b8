package api

import (
	"context"
	"strings"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// versionJSON is HubSpot's ValueWithTimestamp: one value a property took.
type versionJSON struct {
	Value       string `json:"value"`
	Timestamp   string `json:"timestamp"`
	SourceType  string `json:"sourceType"`
	SourceID    string `json:"sourceId,omitempty"`
	SourceLabel string `json:"sourceLabel,omitempty"`
}

// withHistory answers propertiesWithHistory: it adds to each record the
// versions of the named properties, newest first.
func (s *Server) withHistory(ctx context.Context, ot *crm.ObjectType, out []recordJSON, recs []store.Record, names []string) error {
	if len(names) == 0 {
		return nil
	}
	ids := make([]int64, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	history, err := s.crm.History(ctx, ot.Name, ids, names)
	if err != nil {
		return err
	}
	for i, r := range recs {
		out[i].PropertiesWithHistory = make(map[string][]versionJSON, len(history[r.ID]))
		for name, vs := range history[r.ID] {
			js := make([]versionJSON, len(vs))
			for j, v := range vs {
				js[j] = versionToJSON(v)
			}
			out[i].PropertiesWithHistory[name] = js
		}
	}
	return nil
}

// versionToJSON names a version's source as HubSpot does: an app or a
// data sync writes as INTEGRATION, a person through the hub as CRM_UI. The
// source id is the hub's own name of the writer ("private-app:3",
// "oauth:5", "sync:2"), stable and unique.
func versionToJSON(v crm.Version) versionJSON {
	kind, id, _ := strings.Cut(v.Source, ":")
	out := versionJSON{Value: v.Value, Timestamp: crm.FormatTime(v.At), SourceType: "API", SourceID: v.Source}
	switch kind {
	case "private-app":
		out.SourceType, out.SourceLabel = "INTEGRATION", "private app "+id
	case "oauth":
		out.SourceType, out.SourceLabel = "INTEGRATION", "OAuth app "+id
	case "sync":
		out.SourceType, out.SourceLabel = "INTEGRATION", "data sync of connection "+id
	case "cli", "user":
		out.SourceType = "CRM_UI"
	}
	return out
}

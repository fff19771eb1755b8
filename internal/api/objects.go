package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

type pagingJSON struct {
	Next *nextJSON `json:"next,omitempty"`
}

type nextJSON struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

type listJSON struct {
	Results []recordJSON `json:"results"`
	Paging  *pagingJSON  `json:"paging,omitempty"`
}

func (s *Server) list(c call) (int, any, error) {
	archived, err := boolParam(c.r, "archived")
	if err != nil {
		return 0, nil, err
	}
	limit, err := intParam(c.r, "limit")
	if err != nil {
		return 0, nil, err
	}
	history := propertyList(c.r, "propertiesWithHistory")
	if len(history) > 0 && limit > crm.MaxHistoryRecords {
		// History makes pages smaller, as on HubSpot; paging goes on.
		limit = crm.MaxHistoryRecords
	}
	recs, next, err := s.crm.List(c.r.Context(), c.ot.Name, archived, c.r.URL.Query().Get("after"), limit)
	if err != nil {
		return 0, nil, err
	}
	out := listJSON{Results: toJSONs(c.ot, recs, propertyList(c.r, "properties"))}
	if err := s.withHistory(c.r.Context(), c.ot, out.Results, recs, history); err != nil {
		return 0, nil, err
	}
	if next != "" {
		q := c.r.URL.Query()
		q.Set("after", next)
		link := url.URL{Path: c.r.URL.Path, RawQuery: q.Encode()}
		out.Paging = &pagingJSON{Next: &nextJSON{After: next, Link: link.String()}}
	}
	return http.StatusOK, out, nil
}

type createJSON struct {
	Properties values `json:"properties"`
	// Inputs is read only to explain a batch body sent here.
	Inputs json.RawMessage `json:"inputs"`
}

// decodeRecord reads a single record's body.
func decodeRecord(r *http.Request) (createJSON, error) {
	var in createJSON
	if err := decode(r, &in); err != nil {
		return in, err
	}
	return in, needProperties(in.Properties, "The body", in.Inputs)
}

func (s *Server) create(c call) (int, any, error) {
	in, err := decodeRecord(c.r)
	if err != nil {
		return 0, nil, err
	}
	rec, err := s.crm.Create(c.r.Context(), c.actor.Source(), c.ot.Name, in.Properties)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toJSON(c.ot, rec, written(c.ot, in.Properties)), nil
}

func (s *Server) get(c call) (int, any, error) {
	archived, err := boolParam(c.r, "archived")
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	rec, err := s.crm.Get(c.r.Context(), c.ot.Name, c.r.PathValue("id"), q.Get("idProperty"), archived)
	if err != nil {
		return 0, nil, err
	}
	out := []recordJSON{toJSON(c.ot, rec, propertyList(c.r, "properties"))}
	err = s.withHistory(c.r.Context(), c.ot, out, []store.Record{rec}, propertyList(c.r, "propertiesWithHistory"))
	return http.StatusOK, out[0], err
}

func (s *Server) update(c call) (int, any, error) {
	in, err := decodeRecord(c.r)
	if err != nil {
		return 0, nil, err
	}
	rec, err := s.crm.Update(c.r.Context(), c.actor.Source(), c.ot.Name, c.r.PathValue("id"),
		c.r.URL.Query().Get("idProperty"), in.Properties)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toJSON(c.ot, rec, written(c.ot, in.Properties)), nil
}

func (s *Server) archive(c call) (int, any, error) {
	err := s.crm.Archive(c.r.Context(), c.actor.Source(), c.ot.Name, c.r.PathValue("id"))
	return http.StatusNoContent, nil, err
}

// written are the properties a write's answer shows: the defaults and what
// the write named, as HubSpot does.
func written(ot *crm.ObjectType, v values) []string {
	out := slices.Clone(ot.DefaultProps)
	for k := range v {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

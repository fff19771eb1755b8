package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hubsync/hubsync/internal/crm"
)

// text is a JSON string, number, boolean or null read as a string.
type text string

func (t *text) UnmarshalJSON(data []byte) error {
	s, ok := scalar(data)
	if !ok {
		return errors.New("expected a string, number or boolean")
	}
	*t = text(s)
	return nil
}

type filterJSON struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        text   `json:"value"`
	HighValue    text   `json:"highValue"`
	Values       []text `json:"values"`
}

// sortJSON is {"propertyName","direction"}, or "email" / "-email".
type sortJSON crm.SortSpec

func (s *sortJSON) UnmarshalJSON(data []byte) error {
	var name string
	if json.Unmarshal(data, &name) == nil {
		desc := strings.HasPrefix(name, "-")
		*s = sortJSON{PropertyName: strings.TrimPrefix(name, "-"), Descending: desc}
		return nil
	}
	var obj struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	switch strings.ToUpper(obj.Direction) {
	case "", "ASCENDING", "ASC":
	case "DESCENDING", "DESC":
		s.Descending = true
	default:
		return badRequest(crm.CodeInvalidSort, "Sort direction must be ASCENDING or DESCENDING, not "+obj.Direction)
	}
	s.PropertyName = obj.PropertyName
	return nil
}

type searchJSON struct {
	FilterGroups []struct {
		Filters []filterJSON `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []sortJSON `json:"sorts"`
	Query      string     `json:"query"`
	Properties []string   `json:"properties"`
	Limit      int        `json:"limit"`
	After      text       `json:"after"`
}

type searchResultJSON struct {
	Total   int          `json:"total"`
	Results []recordJSON `json:"results"`
	Paging  *pagingJSON  `json:"paging,omitempty"`
}

func (s *Server) search(c call) (int, any, error) {
	var in searchJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	// HubSpot's horizon: paging reaches the first 10,000 matches only,
	// while total counts them all.
	req := crm.SearchRequest{Query: in.Query, Properties: in.Properties, Limit: in.Limit, After: string(in.After),
		Horizon: crm.SearchHorizon}
	for _, g := range in.FilterGroups {
		filters := make([]crm.Filter, len(g.Filters))
		for i, f := range g.Filters {
			filters[i] = crm.Filter{PropertyName: f.PropertyName, Operator: f.Operator,
				Value: string(f.Value), HighValue: string(f.HighValue)}
			for _, v := range f.Values {
				filters[i].Values = append(filters[i].Values, string(v))
			}
		}
		req.FilterGroups = append(req.FilterGroups, filters)
	}
	for _, so := range in.Sorts {
		req.Sorts = append(req.Sorts, crm.SortSpec(so))
	}
	res, err := s.crm.Search(c.r.Context(), c.ot.Name, req)
	if err != nil {
		return 0, nil, err
	}
	out := searchResultJSON{Total: res.Total, Results: toJSONs(c.ot, res.Records, in.Properties)}
	if res.Next != "" {
		out.Paging = &pagingJSON{Next: &nextJSON{After: res.Next}}
	}
	return http.StatusOK, out, nil
}

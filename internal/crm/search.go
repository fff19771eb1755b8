package crm

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// Search limits. HubSpot documents 5 groups, 10 filters a group and 25 in
// all; the hub accepts more so that such requests always fit.
const (
	maxGroups          = 10
	maxFiltersPerGroup = 25
	maxFilters         = 100
	maxSearchLimit     = 200
)

// SearchHorizon is how many matches a search reaches, as on HubSpot, which
// answers at most the first 10,000 of a query: readers move their window
// (a later hs_lastmodifieddate, a higher hs_object_id) to read further.
const SearchHorizon = 10_000

// maxFilterValues is the most values one IN or NOT_IN filter takes, as on
// HubSpot. Each value is a bound parameter, and every backend has a ceiling
// on those (SQLite 32,766, PostgreSQL 65,535): with this cap even the
// largest search (maxFilters filters of this many values) stays well below it.
const maxFilterValues = 100

// SearchRequest is HubSpot's search body, already decoded.
type SearchRequest struct {
	FilterGroups [][]Filter
	Sorts        []SortSpec
	Query        string
	Properties   []string
	Limit        int
	After        string
	// Horizon, when set, is the most matches the search pages through: no
	// page starts or reaches past it, as on HubSpot (the HTTP API sets
	// SearchHorizon). Total still counts every match, as HubSpot's does:
	// clients show it and size their work by it. 0 pages through all.
	Horizon int
}

// Filter is one condition of a filter group.
type Filter struct {
	PropertyName string
	Operator     string
	Value        string
	HighValue    string
	Values       []string
}

// SortSpec orders results by a property.
type SortSpec struct {
	PropertyName string
	Descending   bool
}

// SearchResult is one page of matches. Next is the after of the following
// page, empty on the last (or at the request's Horizon). Total counts every
// match.
type SearchResult struct {
	Total   int
	Records []store.Record
	Next    string
}

// Search finds live records matching ORed groups of ANDed filters and a
// free-text query, sorted and paged by offset.
func (s *Service) Search(ctx context.Context, objectType string, req SearchRequest) (SearchResult, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return SearchResult{}, err
	}
	limit, err := checkLimit(req.Limit, 10, maxSearchLimit)
	if err != nil {
		return SearchResult{}, err
	}
	offset, err := searchOffset(req)
	if err != nil {
		return SearchResult{}, err
	}
	if req.Horizon > 0 {
		limit = min(limit, req.Horizon-offset)
	}
	var res SearchResult
	err = s.store.View(ctx, func(tx store.Tx) error {
		set, hidden, err := s.readSet(ctx, tx, ot)
		if err != nil {
			return err
		}
		q, err := compile(ot, set, req)
		if err != nil {
			return err
		}
		q.Offset, q.Limit = offset, limit
		res.Records, res.Total, err = tx.SearchRecords(ctx, q)
		hideArchived(res.Records, hidden)
		return err
	})
	if end := offset + len(res.Records); err == nil && end < res.Total && (req.Horizon == 0 || end < req.Horizon) {
		res.Next = strconv.Itoa(end)
	}
	return res, err
}

// searchOffset reads the offset a request's after names; with a horizon,
// a page must start before it.
func searchOffset(req SearchRequest) (int, error) {
	if req.After == "" {
		return 0, nil
	}
	offset, err := strconv.Atoi(req.After)
	if err != nil || offset < 0 {
		return 0, invalid(CodeInvalidCursor, "after %q is not a cursor this hub returned", req.After).with("after", req.After)
	}
	if req.Horizon > 0 && offset >= req.Horizon {
		return 0, invalid(CodeInvalidCursor, "A search reaches its first %d results only; after %q is past them. Narrow the query to read further, for example with a later hs_lastmodifieddate or a higher hs_object_id",
			req.Horizon, req.After).with("after", req.After)
	}
	return offset, nil
}

func compile(ot *ObjectType, set propertySet, req SearchRequest) (store.Query, error) {
	q := store.Query{ObjectType: ot.Name, Text: strings.TrimSpace(req.Query)}
	if len(req.FilterGroups) > maxGroups {
		return q, invalid(CodeInvalidFilter, "A search takes at most %d filter groups", maxGroups)
	}
	total := 0
	for _, g := range req.FilterGroups {
		total += len(g)
		if len(g) > maxFiltersPerGroup || total > maxFilters {
			return q, invalid(CodeInvalidFilter, "A search takes at most %d filters in a group and %d in all", maxFiltersPerGroup, maxFilters)
		}
		conds := make([]store.Cond, 0, len(g))
		for _, f := range g {
			c, err := compileFilter(set, f)
			if err != nil {
				return q, err
			}
			conds = append(conds, c)
		}
		q.Groups = append(q.Groups, conds)
	}
	for _, sp := range req.Sorts {
		p, ok := set[sp.PropertyName]
		if !ok {
			return q, invalid(CodeInvalidSort, "Cannot sort by %q: no such property", sp.PropertyName).with("propertyName", sp.PropertyName)
		}
		q.Sorts = append(q.Sorts, store.Sort{Field: field(p), Desc: sp.Descending})
	}
	for _, name := range ot.TextProps {
		q.TextFields = append(q.TextFields, store.Field{Name: name, Kind: store.KindText})
	}
	q.ByValue = byValue(ot, set, q.Groups)
	return q, nil
}

// byValue says every group names its records by a value a lookup index
// holds: EQ or IN on the id or on an indexed property.
func byValue(ot *ObjectType, set propertySet, groups [][]store.Cond) bool {
	indexed := func(c store.Cond) bool {
		if c.Op != store.OpEQ && c.Op != store.OpIn {
			return false
		}
		name := c.Field.Name
		return c.Field.Kind == store.KindID || set[name].HasUniqueValue || slices.Contains(ot.Indexed, name)
	}
	for _, g := range groups {
		if !slices.ContainsFunc(g, indexed) {
			return false
		}
	}
	return len(groups) > 0
}

// field says how a property compares.
func field(p Property) store.Field {
	f := store.Field{Name: p.Name}
	switch {
	case p.Name == PropID:
		f.Kind = store.KindID
	case p.Name == PropCreateDate:
		f.Kind = store.KindCreated
	case p.Name == PropLastModified || p.Name == PropHSLastModified:
		f.Kind = store.KindUpdated
	case p.Type == "number":
		f.Kind = store.KindNumber
	case p.Type == "bool" || p.Type == "date" || p.Type == "datetime":
		f.Kind = store.KindOrdered
	default:
		f.Kind = store.KindText
	}
	return f
}

// arity is how many values an operator takes: -1 one or more, 2 a range.
var arity = map[store.Op]int{
	store.OpEQ: 1, store.OpNEQ: 1, store.OpLT: 1, store.OpLTE: 1, store.OpGT: 1, store.OpGTE: 1,
	store.OpBetween: 2, store.OpIn: -1, store.OpNotIn: -1, store.OpHasProperty: 0, store.OpNotHasProperty: 0,
	store.OpContainsToken: 1, store.OpNotContainsToken: 1,
}

func compileFilter(set propertySet, f Filter) (store.Cond, error) {
	bad := func(format string, args ...any) (store.Cond, error) {
		return store.Cond{}, invalid(CodeInvalidFilter, format, args...).with("propertyName", f.PropertyName)
	}
	p, ok := set[f.PropertyName]
	if !ok {
		return bad("Cannot filter on %q: no such property", f.PropertyName)
	}
	op := store.Op(strings.ToUpper(f.Operator))
	n, ok := arity[op]
	if !ok {
		return bad("Operator %q is not one of EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN", f.Operator)
	}
	c := store.Cond{Field: field(p), Op: op}
	var raw []string
	switch n {
	case 1:
		if f.Value == "" {
			return bad("%s on %s needs a value", op, f.PropertyName)
		}
		raw = []string{f.Value}
	case 2:
		if f.Value == "" || f.HighValue == "" {
			return bad("BETWEEN on %s needs value and highValue", f.PropertyName)
		}
		raw = []string{f.Value, f.HighValue}
	case -1:
		if len(f.Values) == 0 {
			return bad("%s on %s needs values", op, f.PropertyName)
		}
		if len(f.Values) > maxFilterValues {
			return bad("%s on %s takes at most %d values; this one has %d", op, f.PropertyName, maxFilterValues, len(f.Values))
		}
		raw = f.Values
	}
	isToken := op == store.OpContainsToken || op == store.OpNotContainsToken
	if isToken && c.Field.Kind >= store.KindID {
		return bad("%s does not apply to %s", op, f.PropertyName)
	}
	for _, v := range raw {
		if isToken {
			c.Values = append(c.Values, v)
			continue
		}
		cv, ok := filterValue(p, c.Field.Kind, v)
		if !ok {
			return bad("%q is not a valid %s value for %s", v, p.Type, f.PropertyName)
		}
		c.Values = append(c.Values, cv)
	}
	return c, nil
}

// filterValue converts a filter value to the form its field compares in.
func filterValue(p Property, kind store.Kind, v string) (string, bool) {
	switch kind {
	case store.KindID:
		_, err := strconv.ParseInt(v, 10, 64)
		return v, err == nil
	case store.KindCreated, store.KindUpdated:
		t, ok := parseTime(v)
		return strconv.FormatInt(t.UnixMilli(), 10), ok
	case store.KindNumber:
		return decimal(v)
	case store.KindOrdered:
		out, err := normalize(p.Property, v)
		return out, err == nil
	}
	// Text compares in its stored form: an email folded as it was stored.
	return LookupValue(p.Name, v), true
}

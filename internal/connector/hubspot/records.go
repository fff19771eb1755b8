package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hubsync/hubsync/internal/connector"
)

// Reading records: incremental changes by search plus passes over the
// archived listing (cursor.go says how the cursor moves), reads by id and
// lookups by value.

var (
	_ connector.Reader = (*Connector)(nil)
	_ connector.Writer = (*Connector)(nil)
)

// Limits of HubSpot's API.
const (
	maxSearchLimit = 200 // results per search page
	maxListLimit   = 100 // results per listing page
	maxBatchInputs = 100 // inputs per batch call, and values per IN filter
)

// How much one Changes call may ask of the external side.
const (
	maxQueriesPerRead = 4 // searches; each starts afresh from the cursor
	maxArchivePages   = 5 // pages of the archived listing
)

const propID = "hs_object_id"

// session is one public call's view of a target: where, as whom, on what.
type session struct {
	c      *Connector
	api    string
	kind   string
	bearer string
	object string
}

func (c *Connector) session(t connector.Target, cred connector.Credential, object string) (*session, error) {
	kind, err := authKind(t)
	if err != nil {
		return nil, err
	}
	api, err := apiURL(t)
	if err != nil {
		return nil, err
	}
	if object == "" {
		return nil, errors.New("hubspot: no object type given")
	}
	s := &session{c: c, api: api, kind: kind, bearer: cred.AccessToken, object: object}
	if kind == AuthPrivateApp {
		s.bearer = cred.APIKey
		if s.bearer == "" {
			return nil, connector.Definite(connector.ReasonAPIKeyInvalid, "the connection has no private app token; enter one")
		}
	} else if s.bearer == "" {
		return nil, connector.Definite(connector.ReasonTokenExpired, "the connection has no access token; refresh it")
	}
	return s, nil
}

// secrets are what redact keeps out of a public method's error.
func secrets(cred connector.Credential) []string {
	return []string{cred.AccessToken, cred.RefreshToken, cred.APIKey}
}

// objects is the path of the session's object type.
func (s *session) objects() string { return "/crm/v3/objects/" + url.PathEscape(s.object) }

func (s *session) call(ctx context.Context, method, path string, body any) (answer, error) {
	u := s.api + path
	return s.c.sendJSON(ctx, method, u, u, s.bearer, body, maxRecordBody)
}

func (s *session) failure(a answer, what string) *connector.Error {
	return a.apiFailure(s.kind, what, s.object)
}

// decode reads a successful answer's body, or says it is not HubSpot's shape.
func (s *session) decode(a answer, what string, v any) error {
	return s.decodeBy(a, what, func(body []byte) error { return json.Unmarshal(body, v) })
}

// decodeBy is decode with a decoder of its own.
func (s *session) decodeBy(a answer, what string, decode func(body []byte) error) error {
	if err := decode(a.body); err != nil || !a.isJSON {
		return connector.Transient(connector.ReasonUnreachable,
			fmt.Sprintf("the external app's answer to %s is not in HubSpot's shape; check the api_url setting", what), err)
	}
	return nil
}

// modifiedProperty is the last-modified property HubSpot keeps for object.
func modifiedProperty(object string) string {
	if object == "contacts" {
		return "lastmodifieddate"
	}
	return "hs_lastmodifieddate"
}

// text is a JSON string, number, boolean or null read as a string.
type text string

func (t *text) UnmarshalJSON(data []byte) error {
	// The hot shape, a string without escapes, is cut out of the input
	// whole: property values are most of a page, and the general path
	// below costs several allocations each.
	if n := len(data); n >= 2 && data[0] == '"' && data[n-1] == '"' && plain(data[1:n-1]) {
		*t = text(data[1 : n-1])
		return nil
	}
	s := strings.TrimSpace(string(data))
	switch {
	case s == "null":
		*t = ""
	case strings.HasPrefix(s, `"`):
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*t = text(v)
	case s == "true" || s == "false":
		*t = text(s)
	default:
		var n json.Number
		if err := json.Unmarshal(data, &n); err != nil {
			return fmt.Errorf("expected a string, number, boolean or null, not %.20s", s)
		}
		*t = text(n.String())
	}
	return nil
}

// plain says s holds no escape, quote or control character: as JSON
// string content it means itself. The decoder has already checked that
// the input is valid JSON and valid where it is not plain.
func plain(s []byte) bool {
	ascii := true
	for _, c := range s {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	// The decoder would replace invalid UTF-8; leave that to it.
	return ascii || utf8.Valid(s)
}

// wireRecord is a record as HubSpot's API returns it.
type wireRecord struct {
	ID         text            `json:"id"`
	Properties map[string]text `json:"properties"`
	CreatedAt  string          `json:"createdAt"`
	UpdatedAt  string          `json:"updatedAt"`
	Archived   bool            `json:"archived"`
	ArchivedAt string          `json:"archivedAt"`
	// New is set by batch/upsert.
	New *bool `json:"new"`
	// TraceID echoes the objectWriteTraceId of the input that wrote it.
	TraceID string `json:"objectWriteTraceId"`
}

type wirePage struct {
	Results []wireRecord `json:"results"`
	Paging  *struct {
		Next *struct {
			After text `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

func (p wirePage) next() string {
	if p.Paging == nil || p.Paging.Next == nil {
		return ""
	}
	return string(p.Paging.Next.After)
}

// full says a page may have been cut short: another would have more.
func (p wirePage) full(limit int) bool { return len(p.Results) >= limit || p.next() != "" }

// modified is when r was last modified, in epoch milliseconds.
func modified(r wireRecord, prop string) (int64, bool) {
	if t, ok := parseWhen(string(r.Properties[prop])); ok {
		return t.UnixMilli(), true
	}
	if t, ok := parseWhen(r.UpdatedAt); ok {
		return t.UnixMilli(), true
	}
	return 0, false
}

func recordID(r wireRecord) (int64, error) {
	id, err := strconv.ParseInt(string(r.ID), 10, 64)
	if err != nil || id <= 0 {
		return 0, connector.Transient(connector.ReasonUnreachable,
			fmt.Sprintf("the external app gave a record id %q that is not a positive number, as HubSpot's are", r.ID), nil)
	}
	return id, nil
}

// serverNow is the external side's clock when it answered, to the second
// (rounded down, which errs toward re-reading); ours if it did not say.
func serverNow(a answer) time.Time {
	if t, err := http.ParseTime(a.header.Get("Date")); err == nil {
		return t
	}
	return time.Now()
}

type filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	Values       []string `json:"values,omitempty"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type sortSpec struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

type searchBody struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []sortSpec    `json:"sorts"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
}

func ms(v int64) string { return strconv.FormatInt(v, 10) }

func (s *session) search(ctx context.Context, body searchBody) (wirePage, time.Time, error) {
	what := "a search of " + s.object
	a, err := s.call(ctx, http.MethodPost, s.objects()+"/search", body)
	if err != nil {
		return wirePage{}, time.Time{}, err
	}
	if a.status != http.StatusOK {
		return wirePage{}, time.Time{}, s.failure(a, what)
	}
	var p wirePage
	return p, serverNow(a), s.decode(a, what, &p)
}

// Changes reads records of object modified at or after the cursor, and
// records archived since the cursor's archive position; see position for
// how both parts move. Live records come first, oldest first; archived ones
// (Archived set, UpdatedAt their archive time) follow, in listing order.
//
// The live part stays Target's read_overlap behind the external side's
// clock: records changed in that window are read again on later calls, and
// a page whose records are all that recent says More=false, because the
// cursor cannot pass them yet. The archive part runs a pass over the
// archived listing at most every archive_interval, a few pages per call
// (each page at most the room left in this page), and keeps More set until
// the pass ends; from the cursor "" the first pass reports every archived
// record. A pass costs one listing call per 100 archived records, which is
// why passes are spaced. Props hold the requested fields, "" for no value,
// in the hub's formats.
func (c *Connector) Changes(ctx context.Context, t connector.Target, cred connector.Credential, object string, fields []string, cursor string, limit int) (connector.Page, error) {
	page, err := c.changes(ctx, t, cred, object, fields, cursor, limit)
	return page, redact(err, secrets(cred)...)
}

func (c *Connector) changes(ctx context.Context, t connector.Target, cred connector.Credential, object string, fields []string, cursor string, limit int) (connector.Page, error) {
	s, err := c.session(t, cred, object)
	if err != nil {
		return connector.Page{}, err
	}
	opts, err := optionsOf(t)
	if err != nil {
		return connector.Page{}, err
	}
	pos, err := decodeCursor(cursor)
	if err != nil {
		return connector.Page{}, err
	}
	mod := modifiedProperty(object)
	props := withFields(fields, mod)
	types := c.propertyTypes(ctx, s)
	if useFeed(t, pos) {
		recs, more, ok, err := s.readFeed(ctx, &pos, props, limit)
		if err != nil {
			return connector.Page{}, err
		}
		if ok {
			pos.Via = viaFeed
			page := connector.Page{Cursor: pos.encode(), More: more, Records: make([]connector.Record, 0, len(recs))}
			for _, r := range recs {
				page.Records = append(page.Records, feedRecord(r, fields, mod, types))
			}
			return page, nil
		}
		if pos.Via == viaFeed {
			// It listed changes before: a 404 now is a misrouted call or
			// a hub mid-downgrade, not a reason to read everything again.
			return connector.Page{}, errListingGone
		}
		// Not a hubsync, or one too old to list changes: search from the
		// beginning, which reads everything the listing would have.
		pos = position{}
	}
	pos.Via = viaSearch
	if limit <= 0 || limit > maxSearchLimit {
		limit = min(max(limit, 100), maxSearchLimit)
	}

	live, more, now, err := s.readLive(ctx, &pos, mod, props, limit, opts.overlap)
	if err != nil {
		return connector.Page{}, err
	}
	archived, archMore, err := s.readArchived(ctx, &pos, props, limit-len(live), now, opts)
	if err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Cursor: pos.encode(), More: more || archMore,
		Records: make([]connector.Record, 0, len(live)+len(archived))}
	for _, r := range live {
		page.Records = append(page.Records, toRecord(r, fields, mod, types))
	}
	for _, r := range archived {
		rec := toRecord(r, fields, mod, types)
		rec.Archived = true
		if at, ok := parseWhen(r.ArchivedAt); ok {
			rec.UpdatedAt = at
		}
		page.Records = append(page.Records, rec)
	}
	return page, nil
}

// readLive reads live changes from pos, moving it; see position. It returns
// the external side's clock at the last search.
func (s *session) readLive(ctx context.Context, pos *position, mod string, props []string, limit int, overlap time.Duration) ([]wireRecord, bool, time.Time, error) {
	var out []wireRecord
	var now time.Time
	for range maxQueriesPerRead {
		budget := limit - len(out)
		if budget <= 0 {
			break
		}
		if pos.Tie {
			p, at, err := s.search(ctx, tieQuery(mod, pos.TS, pos.ID, props, budget))
			if err != nil {
				return nil, false, now, err
			}
			now = at
			for _, r := range p.Results {
				id, err := recordID(r)
				if err != nil {
					return nil, false, now, err
				}
				pos.ID = max(pos.ID, id)
			}
			out = append(out, p.Results...)
			if p.full(budget) {
				return out, true, now, nil
			}
			// The timestamp is read whole; it was older than the overlap
			// when the tie began, so nothing can join it any more.
			pos.Tie, pos.ID, pos.TS = false, 0, pos.TS+1
			continue
		}

		p, at, err := s.search(ctx, windowQuery(mod, pos.TS, props, budget))
		if err != nil {
			return nil, false, now, err
		}
		now = at
		// safe is the newest time every write up to which is visible.
		safe := int64(1<<63 - 1)
		if overlap > 0 {
			safe = now.Add(-overlap).UnixMilli()
		}
		if !p.full(budget) {
			// Everything from pos.TS on is read.
			out = append(out, p.Results...)
			next := pos.TS
			if overlap > 0 {
				next = safe
			} else {
				for _, r := range p.Results {
					if ts, ok := modified(r, mod); ok {
						next = max(next, ts+1)
					}
				}
			}
			pos.TS = max(pos.TS, next)
			return out, false, now, nil
		}
		// A full page: keep what is older than its newest timestamp and
		// start the next query at that timestamp, so the records sharing
		// it are read whole by a later query.
		last := pos.TS
		for _, r := range p.Results {
			if ts, ok := modified(r, mod); ok {
				last = max(last, ts)
			}
		}
		var keep []wireRecord
		for _, r := range p.Results {
			if ts, ok := modified(r, mod); ok && ts < last {
				keep = append(keep, r)
			}
		}
		switch {
		case len(keep) > 0 && last <= safe:
			pos.TS = max(pos.TS, last)
			return append(out, keep...), true, now, nil
		case len(keep) > 0:
			// The newest are too recent to pass; wait until they are not.
			pos.TS = max(pos.TS, safe)
			return append(out, keep...), false, now, nil
		case last < safe:
			// One timestamp fills the page: read it by id.
			pos.TS, pos.Tie, pos.ID = last, true, 0
		default:
			// One recent timestamp fills the page. Return it, and read it
			// by id once it is older than the overlap.
			pos.TS = max(pos.TS, min(last, safe))
			return append(out, p.Results...), false, now, nil
		}
	}
	return out, true, now, nil
}

func windowQuery(mod string, ts int64, props []string, limit int) searchBody {
	return searchBody{
		FilterGroups: []filterGroup{{Filters: []filter{{PropertyName: mod, Operator: "GTE", Value: ms(ts)}}}},
		Sorts:        []sortSpec{{PropertyName: mod, Direction: "ASCENDING"}},
		Properties:   props, Limit: limit,
	}
}

// tieQuery reads the records modified at ts exactly, by id after id. HubSpot
// takes one sort, so the timestamp is a filter and the id the sort.
func tieQuery(mod string, ts, afterID int64, props []string, limit int) searchBody {
	return searchBody{
		FilterGroups: []filterGroup{{Filters: []filter{
			{PropertyName: mod, Operator: "GTE", Value: ms(ts)},
			{PropertyName: mod, Operator: "LTE", Value: ms(ts)},
			{PropertyName: propID, Operator: "GT", Value: ms(afterID)},
		}}},
		Sorts:      []sortSpec{{PropertyName: propID, Direction: "ASCENDING"}},
		Properties: props, Limit: limit,
	}
}

// readArchived continues (or starts, when due) a pass over the archived
// listing, returning at most budget records archived at or after
// pos.ASince. now is the external side's clock before the first page.
func (s *session) readArchived(ctx context.Context, pos *position, props []string, budget int, now time.Time, o readOptions) ([]wireRecord, bool, error) {
	if o.archiveInterval < 0 {
		pos.AAfter, pos.APass = "", 0
		return nil, false, nil
	}
	running := pos.APass != 0
	if !running && now.UnixMilli() < pos.ANext {
		return nil, false, nil
	}
	if budget <= 0 {
		return nil, running, nil
	}
	if !running {
		pos.APass, pos.AAfter = max(now.UnixMilli(), 1), ""
	}
	var out []wireRecord
	for range maxArchivePages {
		if budget <= 0 {
			break
		}
		p, at, err := s.listArchived(ctx, props, min(budget, maxListLimit), pos.AAfter)
		if err != nil {
			return nil, false, err
		}
		for _, r := range p.Results {
			if t, ok := parseWhen(r.ArchivedAt); !ok || t.UnixMilli() >= pos.ASince {
				out = append(out, r)
				budget--
			}
		}
		if pos.AAfter = p.next(); pos.AAfter == "" {
			pos.ASince = max(pos.ASince, pos.APass-o.overlap.Milliseconds())
			pos.ANext = at.Add(o.archiveInterval).UnixMilli()
			pos.APass = 0
			return out, false, nil
		}
	}
	return out, true, nil
}

func (s *session) listArchived(ctx context.Context, props []string, limit int, after string) (wirePage, time.Time, error) {
	q := url.Values{"archived": {"true"}, "limit": {strconv.Itoa(limit)}, "properties": {strings.Join(props, ",")}}
	if after != "" {
		q.Set("after", after)
	}
	what := "a listing of archived " + s.object
	a, err := s.call(ctx, http.MethodGet, s.objects()+"?"+q.Encode(), nil)
	if err != nil {
		return wirePage{}, time.Time{}, err
	}
	if a.status != http.StatusOK {
		return wirePage{}, time.Time{}, s.failure(a, what)
	}
	var p wirePage
	return p, serverNow(a), s.decode(a, what, &p)
}

// withFields is fields plus extra, without repeats.
func withFields(fields []string, extra ...string) []string {
	out := make([]string, 0, len(fields)+len(extra))
	for _, f := range append(slices.Clone(fields), extra...) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// feedRecord is toRecord for the change listing, whose archived records
// carry their archive time.
func feedRecord(r wireRecord, fields []string, mod string, types propertyTypes) connector.Record {
	rec := toRecord(r, fields, mod, types)
	if at, ok := parseWhen(r.ArchivedAt); ok && r.Archived {
		rec.UpdatedAt = at
	}
	return rec
}

// toRecord keeps the requested fields, in the hub's formats.
func toRecord(r wireRecord, fields []string, mod string, types propertyTypes) connector.Record {
	rec := connector.Record{ID: string(r.ID), Props: make(map[string]string, len(fields)), Archived: r.Archived,
		Origin: string(r.Properties[OriginProperty])}
	for _, f := range fields {
		rec.Props[f] = types.normalize(f, string(r.Properties[f]))
	}
	if ts, ok := modified(r, mod); ok {
		rec.UpdatedAt = time.UnixMilli(ts).UTC()
	}
	return rec
}

// Get reads records by id, 100 per call; ids that are missing or archived
// are left out. Records come in the order of ids.
func (c *Connector) Get(ctx context.Context, t connector.Target, cred connector.Credential, object string, fields []string, ids []string) ([]connector.Record, error) {
	recs, err := c.get(ctx, t, cred, object, fields, ids)
	return recs, redact(err, secrets(cred)...)
}

type batchReadBody struct {
	Inputs     []idInput `json:"inputs"`
	Properties []string  `json:"properties"`
	// PropertiesWithHistory is required by HubSpot's schema, if empty.
	PropertiesWithHistory []string `json:"propertiesWithHistory"`
}

type idInput struct {
	ID string `json:"id"`
}

func (c *Connector) get(ctx context.Context, t connector.Target, cred connector.Credential, object string, fields []string, ids []string) ([]connector.Record, error) {
	s, err := c.session(t, cred, object)
	if err != nil {
		return nil, err
	}
	mod := modifiedProperty(object)
	types := c.propertyTypes(ctx, s)
	byID := map[string]connector.Record{}
	var order []string
	for _, id := range ids {
		if id != "" && !slices.Contains(order, id) {
			order = append(order, id)
		}
	}
	what := "a batch read of " + object
	for chunk := range slices.Chunk(order, maxBatchInputs) {
		body := batchReadBody{Properties: withFields(fields, mod), PropertiesWithHistory: []string{}}
		for _, id := range chunk {
			body.Inputs = append(body.Inputs, idInput{ID: id})
		}
		a, err := s.call(ctx, http.MethodPost, s.objects()+"/batch/read", body)
		if err != nil {
			return nil, err
		}
		switch {
		case a.status == http.StatusOK || a.status == http.StatusMultiStatus:
		case a.status == http.StatusNotFound && a.isJSON && a.fields.Category == "OBJECT_NOT_FOUND":
			continue // none of them exists
		default:
			return nil, s.failure(a, what)
		}
		// A 207's errors name the ids that were not found, which the
		// contract leaves out.
		var p wirePage
		if err := s.decode(a, what, &p); err != nil {
			return nil, err
		}
		for _, r := range p.Results {
			byID[string(r.ID)] = toRecord(r, fields, mod, types)
		}
	}
	out := make([]connector.Record, 0, len(byID))
	for _, id := range order {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// FindBy searches live records whose field is one of values. HubSpot's IN
// compares strings exactly (and wants them lowercase), so each value goes
// as given and lowercased, and the answer is filtered again without case.
// Each group of values is read by id after id, never paging past
// HubSpot's 10,000-result cap.
func (c *Connector) FindBy(ctx context.Context, t connector.Target, cred connector.Credential, object, field string, values []string, fields []string) ([]connector.Record, error) {
	recs, err := c.findBy(ctx, t, cred, object, field, values, fields)
	return recs, redact(err, secrets(cred)...)
}

func (c *Connector) findBy(ctx context.Context, t connector.Target, cred connector.Credential, object, field string, values []string, fields []string) ([]connector.Record, error) {
	s, err := c.session(t, cred, object)
	if err != nil {
		return nil, err
	}
	if field == "" {
		return nil, errors.New("hubspot: FindBy needs a field")
	}
	mod := modifiedProperty(object)
	types := c.propertyTypes(ctx, s)
	want := map[string]bool{}
	var distinct []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" && !want[strings.ToLower(v)] {
			want[strings.ToLower(v)] = true
			distinct = append(distinct, v)
		}
	}
	props := withFields(fields, field, mod, OriginProperty)
	seen := map[string]bool{}
	var out []connector.Record
	for chunk := range slices.Chunk(distinct, maxBatchInputs/2) {
		in := slices.Clone(chunk)
		for _, v := range chunk {
			in = append(in, strings.ToLower(v))
		}
		in = withFields(in)
		var after int64
		for {
			body := searchBody{
				FilterGroups: []filterGroup{{Filters: []filter{
					{PropertyName: field, Operator: "IN", Values: in},
					{PropertyName: propID, Operator: "GT", Value: ms(after)},
				}}},
				Sorts:      []sortSpec{{PropertyName: propID, Direction: "ASCENDING"}},
				Properties: props, Limit: maxSearchLimit,
			}
			p, _, err := s.search(ctx, body)
			if err != nil {
				return nil, err
			}
			for _, r := range p.Results {
				id, err := recordID(r)
				if err != nil {
					return nil, err
				}
				after = max(after, id)
				if want[strings.ToLower(strings.TrimSpace(string(r.Properties[field])))] && !seen[string(r.ID)] {
					seen[string(r.ID)] = true
					out = append(out, toRecord(r, fields, mod, types))
				}
			}
			if !p.full(maxSearchLimit) {
				break
			}
		}
	}
	return out, nil
}

package hubspot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
)

// fakeHubSpot is an in-memory contacts API built from HubSpot's public
// documentation (HUBSPOT-API.md), for what hubsync does differently from
// real HubSpot: search stops at 10,000 results, ties in a sort come in no
// particular order, batch writes answer 207 per record, dates come as epoch
// milliseconds, and every answer carries rate-limit headers. Its clock is
// its own, so tests move time without sleeping.
type fakeHubSpot struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	now      time.Time
	recs     map[int64]*fakeRecord
	nextID   int64
	origin   *bool // nil: the origin property does not exist; else its uniqueness
	refuse   bool  // refuse to create properties (no schema scope)
	limited  bool  // answer the next call 429
	requests map[string]int
	// afterSearch runs after each search, with the lock held.
	afterSearch func(n int)
}

type fakeRecord struct {
	id                int64
	props             map[string]string
	created, modified time.Time
	archived          bool
	archivedAt        time.Time
}

const fakeSearchCap = 10000

func newFakeHubSpot(t *testing.T) *fakeHubSpot {
	f := &fakeHubSpot{t: t, now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), recs: map[int64]*fakeRecord{},
		nextID: 1000, requests: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// target reads with no overlap and no archive passes unless config says.
func (f *fakeHubSpot) target(config map[string]string) connector.Target {
	c := map[string]string{hubspot.SettingReadOverlap: "0s", hubspot.SettingArchiveInterval: "off"}
	for k, v := range config {
		c[k] = v
	}
	return connector.Target{AuthKind: hubspot.AuthPrivateApp, Settings: hubspot.Settings(f.srv.URL), Config: c}
}

func (f *fakeHubSpot) add(modified time.Time, props map[string]string) int64 {
	f.nextID++
	f.recs[f.nextID] = &fakeRecord{id: f.nextID, props: props, created: modified, modified: modified}
	return f.nextID
}

func (f *fakeHubSpot) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[route]
}

func (f *fakeHubSpot) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	route := r.Method + " " + r.URL.Path
	f.requests[route]++
	w.Header().Set("Date", f.now.Format(http.TimeFormat))
	w.Header().Set("X-HubSpot-RateLimit-Max", "190")
	w.Header().Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
	if r.Header.Get("Authorization") != "Bearer "+fakeAPIKey {
		f.fail(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION", "Authentication credentials not found.", nil)
		return
	}
	if f.limited {
		f.limited = false
		w.Header().Set("X-HubSpot-RateLimit-Remaining", "0")
		f.fail(w, http.StatusTooManyRequests, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.", nil)
		return
	}
	w.Header().Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(max(0, 189-f.requests[route]%190)))
	switch route {
	case "POST /crm/v3/objects/contacts/search":
		f.search(w, r)
	case "GET /crm/v3/objects/contacts":
		f.list(w, r)
	case "POST /crm/v3/objects/contacts/batch/upsert":
		f.upsert(w, r)
	case "POST /crm/v3/objects/contacts/batch/create":
		f.create(w, r)
	case "GET /crm/v3/properties/contacts":
		f.reply(w, http.StatusOK, map[string]any{"results": []map[string]any{
			{"name": "email", "type": "string"}, {"name": "birthday", "type": "date"},
			{"name": "createdate", "type": "datetime"}, {"name": "lastmodifieddate", "type": "datetime"}}})
	case "GET /crm/v3/properties/contacts/" + hubspot.OriginProperty:
		if f.origin == nil {
			f.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Unable to find property", nil)
			return
		}
		f.reply(w, http.StatusOK, map[string]any{"name": hubspot.OriginProperty, "hasUniqueValue": *f.origin})
	case "POST /crm/v3/properties/contacts":
		var p struct {
			Name, Type, FieldType, GroupName string
			HasUniqueValue                   bool
		}
		_ = json.NewDecoder(r.Body).Decode(&p)
		if f.refuse {
			f.fail(w, http.StatusForbidden, "MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call.",
				map[string][]string{"requiredGranularScopes": {"crm.schemas.contacts.write"}})
			return
		}
		if p.Name != hubspot.OriginProperty || p.Type != "string" || p.FieldType != "text" || p.GroupName != "contactinformation" {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("unexpected property %+v", p), nil)
			return
		}
		f.origin = &p.HasUniqueValue
		f.reply(w, http.StatusCreated, map[string]any{"name": p.Name, "hasUniqueValue": p.HasUniqueValue})
	default:
		f.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "no route "+route, nil)
	}
}

func (f *fakeHubSpot) reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeHubSpot) fail(w http.ResponseWriter, status int, category, message string, context map[string][]string) {
	f.reply(w, status, map[string]any{"status": "error", "message": message, "correlationId": "0f4c-" + strconv.Itoa(status),
		"category": category, "context": context})
}

// wire is a record as HubSpot sends it: dates as epoch milliseconds in
// properties, createdate as ISO without milliseconds.
func (f *fakeHubSpot) wire(rec *fakeRecord, props []string) map[string]any {
	p := map[string]any{"hs_object_id": strconv.FormatInt(rec.id, 10),
		"createdate":       rec.created.Format(time.RFC3339),
		"lastmodifieddate": strconv.FormatInt(rec.modified.UnixMilli(), 10)}
	for _, name := range props {
		if _, ok := p[name]; ok {
			continue
		}
		if v, ok := rec.props[name]; ok {
			p[name] = v
		} else {
			p[name] = nil
		}
	}
	out := map[string]any{"id": strconv.FormatInt(rec.id, 10), "properties": p, "archived": rec.archived,
		"createdAt": rec.created.Format("2006-01-02T15:04:05.000Z"), "updatedAt": rec.modified.Format("2006-01-02T15:04:05.000Z")}
	if rec.archived {
		out["archivedAt"] = rec.archivedAt.Format("2006-01-02T15:04:05.000Z")
	}
	return out
}

type fakeFilter struct {
	PropertyName, Operator, Value string
	Values                        []string
}

func (f *fakeHubSpot) value(rec *fakeRecord, name string) (string, int64, bool) {
	switch name {
	case "lastmodifieddate":
		return "", rec.modified.UnixMilli(), true
	case "hs_object_id":
		return "", rec.id, true
	}
	return rec.props[name], 0, false
}

func (f *fakeHubSpot) matches(rec *fakeRecord, fl fakeFilter) bool {
	s, n, numeric := f.value(rec, fl.PropertyName)
	if fl.Operator == "IN" {
		return slices.Contains(fl.Values, s) // exact, as HubSpot's IN on strings
	}
	cmp := strings.Compare(s, fl.Value)
	if numeric {
		v, err := strconv.ParseInt(fl.Value, 10, 64)
		if err != nil {
			f.t.Errorf("filter %+v: value is not epoch milliseconds or an id", fl)
		}
		cmp = int(max(-1, min(1, n-v)))
	}
	switch fl.Operator {
	case "EQ":
		return cmp == 0
	case "GT":
		return cmp > 0
	case "GTE":
		return cmp >= 0
	case "LT":
		return cmp < 0
	case "LTE":
		return cmp <= 0
	}
	f.t.Errorf("fake: operator %s", fl.Operator)
	return false
}

// scramble orders ties: HubSpot gives them in no documented order, so the
// fake gives them in one that is neither by id nor stable across ids.
func scramble(id int64) uint32 { return uint32(id * 2654435761) }

func (f *fakeHubSpot) search(w http.ResponseWriter, r *http.Request) {
	var in struct {
		FilterGroups []struct{ Filters []fakeFilter }
		Sorts        []struct{ PropertyName, Direction string }
		Properties   []string
		Limit        int
		After        string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Limit > 200 || len(in.Sorts) > 1 {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("bad search: %v limit %d sorts %d", err, in.Limit, len(in.Sorts)), nil)
		return
	}
	offset, _ := strconv.Atoi(in.After)
	if offset+in.Limit > fakeSearchCap {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Searches are limited to 10000 results; narrow the filters", nil)
		return
	}
	var hits []*fakeRecord
	for _, rec := range f.recs {
		if rec.archived {
			continue
		}
		ok := len(in.FilterGroups) == 0
		for _, g := range in.FilterGroups {
			all := true
			for _, fl := range g.Filters {
				all = all && f.matches(rec, fl)
			}
			ok = ok || all
		}
		if ok {
			hits = append(hits, rec)
		}
	}
	slices.SortFunc(hits, func(a, b *fakeRecord) int {
		if len(in.Sorts) == 1 {
			_, x, _ := f.value(a, in.Sorts[0].PropertyName)
			_, y, _ := f.value(b, in.Sorts[0].PropertyName)
			if x != y {
				if in.Sorts[0].Direction == "DESCENDING" {
					x, y = y, x
				}
				return int(max(-1, min(1, x-y)))
			}
		}
		return int(max(-1, min(1, int64(scramble(a.id))-int64(scramble(b.id)))))
	})
	total := len(hits)
	hits = hits[min(offset, total):min(offset+in.Limit, total)]
	out := map[string]any{"total": total, "results": f.wires(hits, in.Properties)}
	if offset+len(hits) < total {
		out["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(offset + len(hits))}}
	}
	f.reply(w, http.StatusOK, out)
	if f.afterSearch != nil {
		f.afterSearch(f.requests["POST /crm/v3/objects/contacts/search"])
	}
}

func (f *fakeHubSpot) wires(recs []*fakeRecord, props []string) []map[string]any {
	out := make([]map[string]any, len(recs))
	for i, rec := range recs {
		out[i] = f.wire(rec, props)
	}
	return out
}

func (f *fakeHubSpot) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	archived := q.Get("archived") == "true"
	var ids []int64
	for id, rec := range f.recs {
		if rec.archived == archived && id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := map[string]any{}
	if len(ids) > limit {
		ids = ids[:limit]
		out["paging"] = map[string]any{"next": map[string]any{"after": strconv.FormatInt(ids[limit-1], 10)}}
	}
	var recs []*fakeRecord
	for _, id := range ids {
		recs = append(recs, f.recs[id])
	}
	out["results"] = f.wires(recs, strings.Split(q.Get("properties"), ","))
	f.reply(w, http.StatusOK, out)
}

type fakeInput struct {
	ID, IDProperty     string
	Properties         map[string]string
	ObjectWriteTraceID string
}

// badEmail is what HubSpot says of a bad email, as a 207 error entry.
func badEmail(in fakeInput) map[string]any {
	if email := in.Properties["email"]; email != "" && strings.Count(email, "@") != 1 {
		return map[string]any{"status": "error", "category": "VALIDATION_ERROR",
			"message": `Property values were not valid: [{"isValid":false,"message":"Email address ` + email + ` is invalid","error":"INVALID_EMAIL","name":"email"}]`,
			"context": map[string][]string{"objectWriteTraceId": {in.ObjectWriteTraceID}}}
	}
	return nil
}

// upsert answers 207 per record and lists results in reverse input order.
func (f *fakeHubSpot) upsert(w http.ResponseWriter, r *http.Request) {
	var in struct{ Inputs []fakeInput }
	_ = json.NewDecoder(r.Body).Decode(&in)
	var results, errs []map[string]any
	for _, x := range slices.Backward(in.Inputs) {
		if x.IDProperty != hubspot.OriginProperty || f.origin == nil || !*f.origin {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to perform upsert by non-unique 0-1 property "+x.IDProperty, nil)
			return
		}
		if e := badEmail(x); e != nil {
			errs = append(errs, e)
			continue
		}
		var rec *fakeRecord
		for _, r := range f.recs {
			if !r.archived && strings.EqualFold(r.props[hubspot.OriginProperty], x.ID) {
				rec = r
			}
		}
		isNew := rec == nil
		if isNew {
			rec = f.recs[f.add(f.now, map[string]string{hubspot.OriginProperty: x.ID})]
		}
		for k, v := range x.Properties {
			rec.props[k] = v
		}
		rec.modified = f.now
		out := f.wire(rec, slices.Collect(func(yield func(string) bool) {
			for k := range x.Properties {
				if !yield(k) {
					return
				}
			}
		}))
		out["new"] = isNew
		results = append(results, out)
	}
	f.batchReply(w, results, errs)
}

func (f *fakeHubSpot) create(w http.ResponseWriter, r *http.Request) {
	var in struct{ Inputs []fakeInput }
	_ = json.NewDecoder(r.Body).Decode(&in)
	var results, errs []map[string]any
	for _, x := range in.Inputs {
		if e := badEmail(x); e != nil {
			errs = append(errs, e)
			continue
		}
		id := f.add(f.now, x.Properties)
		out := f.wire(f.recs[id], []string{"email"})
		out["objectWriteTraceId"] = x.ObjectWriteTraceID
		results = append(results, out)
	}
	f.batchReply(w, results, errs)
}

func (f *fakeHubSpot) batchReply(w http.ResponseWriter, results, errs []map[string]any) {
	out := map[string]any{"status": "COMPLETE", "results": results, "startedAt": f.now.Format(time.RFC3339), "completedAt": f.now.Format(time.RFC3339)}
	status := http.StatusOK
	if len(errs) > 0 {
		status, out["numErrors"], out["errors"] = http.StatusMultiStatus, len(errs), errs
	}
	if results == nil {
		out["results"] = []any{}
	}
	f.reply(w, status, out)
}

// TestChangesPastSearchCap reads 12,000 records, 10,500 of them sharing one
// timestamp, from a HubSpot that refuses to page past 10,000 results and
// orders ties arbitrarily; records move and appear while it reads.
func TestChangesPastSearchCap(t *testing.T) {
	t.Parallel()
	f := newFakeHubSpot(t)
	base := f.now.Add(-time.Hour)
	stamps := []time.Time{base, base.Add(time.Millisecond), base.Add(2 * time.Millisecond), base.Add(time.Second), base.Add(time.Minute)}
	f.mu.Lock()
	for i := range 12000 {
		ts := stamps[0]
		if i%8 == 7 {
			ts = stamps[1+(i/8)%4]
		}
		f.add(ts, map[string]string{"email": fmt.Sprintf("c%d@example.com", i)})
	}
	later := f.now.Add(-time.Second)
	var moved []string
	f.afterSearch = func(n int) {
		if n != 20 {
			return
		}
		// The reader is inside the big timestamp: some of it, read or not,
		// changes again, and new records come.
		for _, id := range []int64{1001, 1021, 1041, 1061, 1081, 12961, 12981} {
			f.recs[id].modified = later
			moved = append(moved, strconv.FormatInt(id, 10))
		}
		for i := range 50 {
			f.add(later, map[string]string{"email": fmt.Sprintf("late%d@example.com", i)})
		}
	}
	f.mu.Unlock()

	// A reader that pages with `after` cannot get there.
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/crm/v3/objects/contacts/search",
		strings.NewReader(`{"limit":100,"after":"9950","filterGroups":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+fakeAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the fake answered %d to a page past 10,000 results, want 400", resp.StatusCode)
	}

	c := hubspot.New(nil)
	cred := connector.Credential{APIKey: fakeAPIKey}
	read := readAll(t, c, f.target(nil), cred, "contacts", []string{"email", "createdate"}, "", 200)
	f.mu.Lock()
	defer f.mu.Unlock()
	var missed []int64
	for id := range f.recs {
		if read.times[strconv.FormatInt(id, 10)] == 0 {
			missed = append(missed, id)
		}
	}
	if len(missed) > 0 {
		t.Fatalf("%d of %d records never read, e.g. %v", len(missed), len(f.recs), missed[:min(5, len(missed))])
	}
	for _, id := range moved {
		if got := read.last[id].UpdatedAt; !got.Equal(later) {
			t.Errorf("record %s changed at %s was last read as of %s", id, later, got)
		}
	}
	dups := read.total - len(read.times)
	t.Logf("%d records (%d distinct) in %d calls, %d searches; %d read twice, %d changed while read",
		read.total, len(read.times), read.calls, f.requests["POST /crm/v3/objects/contacts/search"], dups, len(moved))
	if dups > len(moved)+10 {
		t.Errorf("%d records read twice, and only %d changed", dups, len(moved))
	}
	if rec := read.records[0]; rec.Props["createdate"] != base.Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("createdate %q, want ISO 8601 UTC with milliseconds", rec.Props["createdate"])
	}
}

// TestChangesOverlap: with an overlap the cursor stays that far behind the
// external clock, re-reading what is recent and never passing it.
func TestChangesOverlap(t *testing.T) {
	t.Parallel()
	f := newFakeHubSpot(t)
	ctx := context.Background()
	c := hubspot.New(nil)
	target := f.target(map[string]string{hubspot.SettingReadOverlap: "5s"})
	cred := connector.Credential{APIKey: fakeAPIKey}
	f.mu.Lock()
	for i := range 3 {
		f.add(f.now.Add(-time.Minute), map[string]string{"email": fmt.Sprintf("old%d@example.com", i)})
	}
	recent := f.now.Add(-time.Second)
	for i := range 300 {
		f.add(recent, map[string]string{"email": fmt.Sprintf("new%d@example.com", i)})
	}
	f.mu.Unlock()

	fields := []string{"email"}
	p1, err := c.Changes(ctx, target, cred, "contacts", fields, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Records) != 3 || p1.More {
		t.Fatalf("first page: %d records, more=%v; want the 3 older ones and a stop before the recent ones", len(p1.Records), p1.More)
	}
	p2, err := c.Changes(ctx, target, cred, "contacts", fields, p1.Cursor, 100)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := c.Changes(ctx, target, cred, "contacts", fields, p2.Cursor, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Records) != 100 || p2.More || !slices.Equal(ids(p2.Records), ids(p3.Records)) {
		t.Fatalf("a page of recent records: %d records, more=%v, read again: %v; want 100, false, true",
			len(p2.Records), p2.More, slices.Equal(ids(p2.Records), ids(p3.Records)))
	}

	f.mu.Lock()
	f.now = f.now.Add(10 * time.Second)
	f.mu.Unlock()
	read := readAll(t, c, target, cred, "contacts", fields, p3.Cursor, 100)
	if len(read.times) != 300 {
		t.Errorf("once older than the overlap, %d distinct recent records read, want 300", len(read.times))
	}

	// A change inside the overlap comes back until it is older than it.
	f.mu.Lock()
	id := strconv.FormatInt(f.add(f.now.Add(-2*time.Second), map[string]string{"email": "late@example.com"}), 10)
	f.mu.Unlock()
	cursor := read.cursor
	for i, want := range []int{1, 1, 1, 0} {
		if i == 2 {
			f.mu.Lock()
			f.now = f.now.Add(10 * time.Second)
			f.mu.Unlock()
		}
		p, err := c.Changes(ctx, target, cred, "contacts", fields, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(p.Records); len(got) != want || (want == 1 && got[0] != id) {
			t.Errorf("read %d: %v, want %d record(s) %s", i, got, want, id)
		}
		cursor = p.Cursor
	}
}

func ids(recs []connector.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// TestApplyMultiStatus: a 207 reports the bad record on its write and the
// others as written, whatever order the results come in; a replay of the
// same keys updates; rate-limit headers reach the observer and the error.
func TestApplyMultiStatus(t *testing.T) {
	t.Parallel()
	f := newFakeHubSpot(t)
	var limits []hubspot.RateLimit
	ctx := hubspot.WithRateLimitObserver(context.Background(), func(rl hubspot.RateLimit) { limits = append(limits, rl) })
	c := hubspot.New(nil)
	target, cred := f.target(nil), connector.Credential{APIKey: fakeAPIKey}
	writes := []connector.Write{
		{Ref: "a", IdempotencyKey: "c1-1", Props: map[string]string{"email": "a@example.com"}},
		{Ref: "b", IdempotencyKey: "c1-2", Props: map[string]string{"email": "b@@example.com"}},
		{Ref: "c", IdempotencyKey: "c1-3", Props: map[string]string{"email": "c@example.com"}},
	}
	res, err := c.Apply(ctx, target, cred, "contacts", writes)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if res[i].Ref != writes[i].Ref || res[i].ID == "" || !res[i].Created || res[i].Err != nil || res[i].UpdatedAt.IsZero() {
			t.Errorf("write %s: %+v, want created", writes[i].Ref, res[i])
		}
	}
	if e := res[1].Err; e == nil || e.Reason != hubspot.ReasonRecordRejected || !e.Definite || !strings.Contains(e.Message, "b@@example.com") || res[1].ID != "" {
		t.Errorf("bad write: %+v (err %v), want a definite record_rejected quoting the email", res[1], e)
	}
	if f.origin == nil || !*f.origin {
		t.Errorf("origin property: %v, want created unique", f.origin)
	}

	writes[1].Props["email"] = "b@example.com"
	again, err := c.Apply(ctx, target, cred, "contacts", writes)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if again[i].ID != res[i].ID || again[i].Created {
			t.Errorf("replayed %s: %+v, want the first record %s updated", writes[i].Ref, again[i], res[i].ID)
		}
	}
	if again[1].ID == "" || !again[1].Created {
		t.Errorf("fixed write: %+v, want created", again[1])
	}
	if n := f.count("GET /crm/v3/properties/contacts/" + hubspot.OriginProperty); n != 1 {
		t.Errorf("the origin property was looked up %d times, want once", n)
	}
	if len(limits) == 0 || limits[0].Max != 190 || limits[0].Interval != 10*time.Second || limits[0].Remaining < 0 || limits[0].Daily != -1 {
		t.Errorf("rate limits observed: %+v", limits)
	}

	f.mu.Lock()
	f.limited = true
	f.mu.Unlock()
	_, err = c.Apply(ctx, target, cred, "contacts", writes)
	var ce *connector.Error
	var re *hubspot.ResponseError
	if !errors.As(err, &ce) || ce.Reason != connector.ReasonRateLimited || ce.Definite || ce.RetryAfter != 10*time.Second ||
		!errors.As(err, &re) || re.RateLimit == nil || re.RateLimit.Remaining != 0 {
		t.Errorf("429: %v, want a transient rate_limited with RetryAfter 10s and the headers", err)
	}
	noSecret(t, err, fakeAPIKey)
}

// TestApplyWithoutSchemaScope: when the origin property cannot be made,
// creates go through batch/create and still report per record.
func TestApplyWithoutSchemaScope(t *testing.T) {
	t.Parallel()
	f := newFakeHubSpot(t)
	f.refuse = true
	ctx := context.Background()
	c := hubspot.New(nil)
	target, cred := f.target(nil), connector.Credential{APIKey: fakeAPIKey}
	writes := []connector.Write{
		{Ref: "a", IdempotencyKey: "c1-1", Props: map[string]string{"email": "x@y@example.com"}},
		{Ref: "b", IdempotencyKey: "c1-2", Props: map[string]string{"email": "b@example.com"}},
	}
	for range 2 {
		res, err := c.Apply(ctx, target, cred, "contacts", writes)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err == nil || res[0].Err.Reason != hubspot.ReasonRecordRejected || res[1].ID == "" || !res[1].Created || res[1].Err != nil {
			t.Errorf("results %+v %+v: want a, rejected; b, created", res[0], res[1])
		}
	}
	if n := f.count("POST /crm/v3/properties/contacts"); n != 1 {
		t.Errorf("the origin property was asked for %d times, want once (the refusal is remembered)", n)
	}
	if n := f.count("POST /crm/v3/objects/contacts/batch/create"); n != 2 {
		t.Errorf("%d batch creates, want 2", n)
	}
}

func TestChangesCursorRefused(t *testing.T) {
	t.Parallel()
	f := newFakeHubSpot(t)
	_, err := hubspot.New(nil).Changes(context.Background(), f.target(nil), connector.Credential{APIKey: fakeAPIKey}, "contacts", nil, "not-a-cursor", 10)
	wantError(t, err, hubspot.ReasonCursorInvalid, true, nil)
}

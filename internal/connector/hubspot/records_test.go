package hubspot_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/oauth"
)

// These tests read and write hub A's records through its HubSpot-compatible
// API, with a private app token that has every CRM scope.

type recordsBundle struct {
	a      *hubtest.Env
	target connector.Target
	cred   connector.Credential
}

// setupRecords starts hub A. The target reads with no overlap (hub A
// commits in timestamp order) and looks for archives on every read.
func setupRecords(t testing.TB, scopes ...string) (*hubspot.Connector, *recordsBundle) {
	t.Helper()
	if len(scopes) == 0 {
		scopes = hubtest.AllScopes
	}
	a := hubtest.New(t, hubtest.SQLite)
	target := connector.Target{AuthKind: hubspot.AuthPrivateApp, Settings: hubspot.Settings(a.URL),
		Config: map[string]string{hubspot.SettingReadOverlap: "0s", hubspot.SettingArchiveInterval: "0s"}}
	return hubspot.New(nil), &recordsBundle{a: a, target: target, cred: connector.Credential{APIKey: a.Token(t, scopes...)}}
}

// contacts makes n contacts on A in batches of 100 and returns their ids.
func (b *recordsBundle) contacts(t testing.TB, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for start := 0; start < n; start += crm.MaxBatch {
		var batch []map[string]string
		for i := start; i < min(n, start+crm.MaxBatch); i++ {
			batch = append(batch, map[string]string{"email": fmt.Sprintf("%s%d@example.com", prefix, i), "firstname": prefix})
		}
		recs, err := b.a.Hub.CRM.BatchCreate(context.Background(), "test", "contacts", batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			ids = append(ids, strconv.FormatInt(r.ID, 10))
		}
	}
	return ids
}

// reading is what readAll saw.
type reading struct {
	records []connector.Record
	times   map[string]int              // reads of each id
	last    map[string]connector.Record // the last read of each id
	total   int
	calls   int
	cursor  string
}

// readAll calls Changes from cursor until More is false. Live records of
// one page must come oldest first.
func readAll(t testing.TB, c *hubspot.Connector, target connector.Target, cred connector.Credential, object string, fields []string, cursor string, limit int) reading {
	t.Helper()
	r := reading{times: map[string]int{}, last: map[string]connector.Record{}, cursor: cursor}
	for more := true; more; r.calls++ {
		if r.calls > 2000 {
			t.Fatalf("no end after %d reads", r.calls)
		}
		page, err := c.Changes(context.Background(), target, cred, object, fields, r.cursor, limit)
		if err != nil {
			t.Fatalf("read %d: %v", r.calls, err)
		}
		if len(page.Records) > limit {
			t.Fatalf("read %d: %d records, limit %d", r.calls, len(page.Records), limit)
		}
		var prev time.Time
		for _, rec := range page.Records {
			if !rec.Archived {
				if rec.UpdatedAt.Before(prev) {
					t.Fatalf("read %d: record %s (%s) after one of %s", r.calls, rec.ID, rec.UpdatedAt, prev)
				}
				prev = rec.UpdatedAt
			}
			r.times[rec.ID]++
			r.last[rec.ID] = rec
		}
		r.records = append(r.records, page.Records...)
		r.total += len(page.Records)
		r.cursor, more = page.Cursor, page.More
	}
	return r
}

func TestChanges(t *testing.T) {
	t.Parallel()
	c, b := setupRecords(t)
	ctx := context.Background()
	fields := []string{"email", "firstname", "createdate"}
	var made []string
	for i := range 5 {
		made = append(made, b.contacts(t, "p"+strconv.Itoa(i)+"-", 1)...)
	}

	read := readAll(t, c, b.target, b.cred, "contacts", fields, "", 2)
	if got := ids(read.records); !slices.Equal(got, made) {
		t.Fatalf("read %v, want %v oldest first", got, made)
	}
	if read.calls < 3 {
		t.Errorf("5 records in %d reads of 2", read.calls)
	}
	first := read.records[0]
	if first.Props["email"] != "p0-0@example.com" || first.Props["firstname"] != "p0-" || first.Archived {
		t.Errorf("first record %+v", first)
	}
	if created, err := time.Parse("2006-01-02T15:04:05.000Z", first.Props["createdate"]); err != nil || !first.UpdatedAt.Equal(created) {
		t.Errorf("createdate %q, UpdatedAt %s: want ISO 8601 with milliseconds, equal for a new record", first.Props["createdate"], first.UpdatedAt)
	}

	page, err := c.Changes(ctx, b.target, b.cred, "contacts", fields, read.cursor, 10)
	if err != nil || len(page.Records) != 0 || page.More {
		t.Fatalf("read at the end: %d records, more=%v, %v; want nothing", len(page.Records), page.More, err)
	}

	if _, err := b.a.Hub.CRM.Update(ctx, "test", "contacts", made[1], "", map[string]string{"firstname": "Changed"}); err != nil {
		t.Fatal(err)
	}
	page, err = c.Changes(ctx, b.target, b.cred, "contacts", fields, page.Cursor, 10)
	if err != nil || len(page.Records) != 1 || page.Records[0].ID != made[1] || page.Records[0].Props["firstname"] != "Changed" {
		t.Fatalf("read after an update: %+v, %v; want %s changed", page.Records, err, made[1])
	}

	for _, id := range made[3:] {
		if err := b.a.Hub.CRM.Archive(ctx, "test", "contacts", id); err != nil {
			t.Fatal(err)
		}
	}
	page, err = c.Changes(ctx, b.target, b.cred, "contacts", fields, page.Cursor, 10)
	if err != nil {
		t.Fatal(err)
	}
	var archived []string
	for _, r := range page.Records {
		if !r.Archived || r.UpdatedAt.IsZero() || r.Props["email"] == "" {
			t.Errorf("after archiving: %+v, want archived records with their archive time and fields", r)
		}
		archived = append(archived, r.ID)
	}
	slices.Sort(archived)
	if want := slices.Sorted(slices.Values(made[3:])); !slices.Equal(archived, want) {
		t.Errorf("archived %v, want %v", archived, want)
	}
}

// TestChangesBulk reads 1,000 records made in batches of 100, each batch
// sharing one timestamp, in pages of 100 and of 37.
func TestChangesBulk(t *testing.T) {
	t.Parallel()
	c, b := setupRecords(t)
	made := b.contacts(t, "bulk", 1000)
	for _, limit := range []int{100, 37} {
		read := readAll(t, c, b.target, b.cred, "contacts", []string{"email"}, "", limit)
		for _, id := range made {
			if read.times[id] == 0 {
				t.Fatalf("limit %d: record %s never read", limit, id)
			}
		}
		dups := read.total - len(read.times)
		t.Logf("limit %d: %d records (%d distinct) in %d reads", limit, read.total, len(read.times), read.calls)
		if len(read.times) != len(made) || dups > 5 {
			t.Errorf("limit %d: %d distinct records, %d read twice; want %d and at most 5", limit, len(read.times), dups, len(made))
		}
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	c, b := setupRecords(t)
	ctx := context.Background()
	creates := []connector.Write{
		{Ref: "1", IdempotencyKey: "c7-1", Props: map[string]string{"email": "ann@example.com", "firstname": "Ann"}},
		{Ref: "2", IdempotencyKey: "c7-2", Props: map[string]string{"email": "bob@example.com", "firstname": "Bob"}},
		{Ref: "3", IdempotencyKey: "c7-3", Props: map[string]string{"email": "cat@example.com"}},
	}
	res, err := c.Apply(ctx, b.target, b.cred, "contacts", creates)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Ref != creates[i].Ref || r.ID == "" || !r.Created || r.Err != nil || r.UpdatedAt.IsZero() {
			t.Errorf("create %d: %+v", i, r)
		}
	}
	if p, err := b.a.Hub.CRM.Property(ctx, "contacts", hubspot.OriginProperty, false); err != nil || !p.HasUniqueValue || p.GroupName != "contactinformation" {
		t.Errorf("origin property on A: %+v, %v", p, err)
	}

	// A replay (the first answer was lost) finds the records it made.
	again, err := c.Apply(ctx, b.target, b.cred, "contacts", creates)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.ID != res[i].ID || r.Created || r.Err != nil {
			t.Errorf("replayed create %d: %+v, want record %s, not created", i, r, res[i].ID)
		}
	}
	if n := countContacts(t, b); n != 3 {
		t.Errorf("%d contacts on A after a replay, want 3", n)
	}

	// Updates, archives and creates in one call; one update of a record
	// that is not there.
	mixed := []connector.Write{
		{Ref: "u", ID: res[0].ID, Props: map[string]string{"firstname": "Anne"}},
		{Ref: "a", ID: res[2].ID, Archive: true},
		{Ref: "n", IdempotencyKey: "c7-4", Props: map[string]string{"email": "dan@example.com"}},
		{Ref: "gone", ID: "987654321", Props: map[string]string{"firstname": "X"}},
	}
	out, err := c.Apply(ctx, b.target, b.cred, "contacts", mixed)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].ID != res[0].ID || out[0].Err != nil || out[0].Created {
		t.Errorf("update: %+v", out[0])
	}
	if rec, err := b.a.Hub.CRM.Get(ctx, "contacts", res[0].ID, "", false); err != nil || rec.Props["firstname"] != "Anne" {
		t.Errorf("updated record on A: %+v, %v", rec.Props, err)
	}
	if out[1].ID != res[2].ID || out[1].Err != nil {
		t.Errorf("archive: %+v", out[1])
	}
	if _, err := b.a.Hub.CRM.Get(ctx, "contacts", res[2].ID, "", true); err != nil {
		t.Errorf("archived record on A: %v", err)
	}
	if out[2].ID == "" || !out[2].Created || out[2].Err != nil {
		t.Errorf("create: %+v", out[2])
	}
	if e := out[3].Err; e == nil || e.Reason != hubspot.ReasonRecordNotFound || !e.Definite || out[3].ID != "" {
		t.Errorf("update of a missing record: %+v, %v", out[3], e)
	}

	// A is all or nothing per batch: the bad records are found and the
	// rest is written.
	bad := []connector.Write{
		{Ref: "ok1", IdempotencyKey: "c7-5", Props: map[string]string{"email": "eve@example.com"}},
		{Ref: "bad-email", IdempotencyKey: "c7-6", Props: map[string]string{"email": "not an email"}},
		{Ref: "ok2", IdempotencyKey: "c7-7", Props: map[string]string{"email": "fay@example.com"}},
		{Ref: "taken", IdempotencyKey: "c7-8", Props: map[string]string{"email": "bob@example.com"}},
		{Ref: "ok3", IdempotencyKey: "c7-9", Props: map[string]string{"email": "gus@example.com", "lifecyclestage": "lead"}},
	}
	out, err = c.Apply(ctx, b.target, b.cred, "contacts", bad)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2, 4} {
		if out[i].ID == "" || !out[i].Created || out[i].Err != nil {
			t.Errorf("%s: %+v (err %v), want created", bad[i].Ref, out[i], out[i].Err)
		}
	}
	for _, i := range []int{1, 3} {
		e := out[i].Err
		if e == nil || e.Reason != hubspot.ReasonRecordRejected || !e.Definite || out[i].ID != "" {
			t.Errorf("%s: %+v (err %v), want a definite record_rejected", bad[i].Ref, out[i], e)
			continue
		}
		t.Logf("%s: %s (detail %q)", bad[i].Ref, e.Message, e.Detail)
	}
	if e := out[1].Err; e != nil && !strings.Contains(e.Message, "not an email") {
		t.Errorf("bad email: message %q does not quote the value", e.Message)
	}
	if e := out[3].Err; e != nil && !strings.Contains(e.Message, "already exists") {
		t.Errorf("taken email: message %q does not say it exists", e.Message)
	}
	if n := countContacts(t, b); n != 6 {
		t.Errorf("%d live contacts on A, want 6", n)
	}
}

func countContacts(t *testing.T, b *recordsBundle) int {
	t.Helper()
	res, err := b.a.Hub.CRM.Search(context.Background(), "contacts", crm.SearchRequest{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// TestApplyWithoutSchemaWrite: a token that may not make properties still
// creates, without the origin property.
func TestApplyWithoutSchemaWrite(t *testing.T) {
	t.Parallel()
	c, b := setupRecords(t, oauth.ObjectScope("contacts", false), oauth.ObjectScope("contacts", true))
	res, err := c.Apply(context.Background(), b.target, b.cred, "contacts", []connector.Write{
		{Ref: "1", IdempotencyKey: "c7-1", Props: map[string]string{"email": "ann@example.com"}},
		{Ref: "2", IdempotencyKey: "c7-2", Props: map[string]string{"email": "bob@@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ID == "" || !res[0].Created || res[1].Err == nil {
		t.Errorf("results %+v, %+v: want the first created, the second rejected", res[0], res[1])
	}
}

func TestGetAndFindBy(t *testing.T) {
	t.Parallel()
	c, b := setupRecords(t)
	ctx := context.Background()
	made := b.contacts(t, "find", 150)
	if err := b.a.Hub.CRM.Archive(ctx, "test", "contacts", made[5]); err != nil {
		t.Fatal(err)
	}

	want := []string{made[140], made[0], made[7]}
	asked := append(slices.Clone(want), made[5], "999999", made[0])
	for range 2 { // 100 ids per call
		asked = append(asked, made[10:110]...)
	}
	got, err := c.Get(ctx, b.target, b.cred, "contacts", []string{"email"}, asked)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 103 || !slices.Equal(ids(got[:3]), want) || got[0].Props["email"] != "find140@example.com" {
		t.Errorf("get: %d records starting %v, want 103 starting %v", len(got), ids(got[:min(3, len(got))]), want)
	}

	found, err := c.FindBy(ctx, b.target, b.cred, "contacts", "email",
		[]string{"FIND3@Example.com", "find149@example.com", "find5@example.com", "nobody@example.com"}, []string{"firstname"})
	if err != nil {
		t.Fatal(err)
	}
	got2 := slices.Sorted(slices.Values(ids(found)))
	if want := slices.Sorted(slices.Values([]string{made[3], made[149]})); !slices.Equal(got2, want) || found[0].Props["firstname"] != "find" {
		t.Errorf("find by email: %+v, want %v (not the archived %s)", found, want, made[5])
	}

	// More matches than one search page.
	found, err = c.FindBy(ctx, b.target, b.cred, "contacts", "firstname", []string{"FIND"}, nil)
	if err != nil || len(found) != 149 {
		t.Errorf("find by first name: %d records, %v; want 149", len(found), err)
	}
}

// BenchmarkChanges reads 1,000 contacts from A in pages of 200.
func BenchmarkChanges(b *testing.B) {
	c, rb := setupRecords(b)
	rb.contacts(b, "bench", 1000)
	for b.Loop() {
		if read := readAll(b, c, rb.target, rb.cred, "contacts", []string{"email", "firstname"}, "", 200); len(read.times) != 1000 {
			b.Fatalf("read %d", len(read.times))
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkApply creates contacts on A, 100 per call, by upsert.
func BenchmarkApply(b *testing.B) {
	c, rb := setupRecords(b)
	n := 0
	for b.Loop() {
		writes := make([]connector.Write, 100)
		for i := range writes {
			n++
			writes[i] = connector.Write{Ref: strconv.Itoa(n), IdempotencyKey: "b-" + strconv.Itoa(n),
				Props: map[string]string{"email": "w" + strconv.Itoa(n) + "@example.com"}}
		}
		res, err := c.Apply(context.Background(), rb.target, rb.cred, "contacts", writes)
		if err != nil || res[99].Err != nil {
			b.Fatal(err, res[99].Err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

package hubspot_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
)

// countingTransport counts the calls a connector makes, by method and path.
type countingTransport struct {
	mu    sync.Mutex
	calls map[string]int
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	ct.calls[r.Method+" "+r.URL.Path]++
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (ct *countingTransport) take() map[string]int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	out := ct.calls
	ct.calls = map[string]int{}
	return out
}

// Against another hubsync, with the default read_overlap and
// archive_interval, a create, an update and an archive each come back on
// the very next read, through the change listing alone: one call a read,
// none of them a search, and an idle read is one call that reads nothing.
func TestChangesByListing(t *testing.T) {
	t.Parallel()
	_, b := setupRecords(t)
	b.target.Config = nil // the defaults: 5s overlap, a pass over archives a minute
	calls := &countingTransport{calls: map[string]int{}}
	c := hubspot.New(&http.Client{Transport: calls, Timeout: 10 * time.Second})
	ctx := context.Background()
	fields := []string{"email", "firstname"}
	read := func(cursor string) connector.Page {
		t.Helper()
		page, err := c.Changes(ctx, b.target, b.cred, "contacts", fields, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	made := b.contacts(t, "f", 3)
	page := read("")
	if got := ids(page.Records); !slices.Equal(got, made) || page.More {
		t.Fatalf("first read %v more=%v, want %v", got, page.More, made)
	}
	cursor := page.Cursor
	calls.take() // the first read also learns the property types

	if _, err := b.a.Hub.CRM.Update(ctx, "test", "contacts", made[1], "", map[string]string{"firstname": "Changed"}); err != nil {
		t.Fatal(err)
	}
	page = read(cursor)
	if len(page.Records) != 1 || page.Records[0].ID != made[1] || page.Records[0].Props["firstname"] != "Changed" {
		t.Fatalf("after an update read %+v, want %s changed", page.Records, made[1])
	}
	cursor = page.Cursor

	if err := b.a.Hub.CRM.Archive(ctx, "test", "contacts", made[2]); err != nil {
		t.Fatal(err)
	}
	page = read(cursor)
	if len(page.Records) != 1 || page.Records[0].ID != made[2] || !page.Records[0].Archived || page.Records[0].Props["email"] == "" {
		t.Fatalf("after an archive read %+v, want %s archived with its fields", page.Records, made[2])
	}
	if page.Records[0].UpdatedAt.IsZero() {
		t.Errorf("archived record without its archive time")
	}
	cursor = page.Cursor

	if page = read(cursor); len(page.Records) != 0 || page.More || page.Cursor != cursor {
		t.Fatalf("idle read: %v more=%v cursor moved=%v", ids(page.Records), page.More, page.Cursor != cursor)
	}
	got := calls.take()
	want := map[string]int{"GET /crm/hubsync/v1/objects/contacts/changes": 3}
	if len(got) != len(want) || got["GET /crm/hubsync/v1/objects/contacts/changes"] != 3 {
		t.Errorf("three reads made calls %v, want %v", got, want)
	}
}

// With change_listing=off the connector searches, even against a hubsync.
func TestChangesListingOff(t *testing.T) {
	t.Parallel()
	_, b := setupRecords(t)
	b.target.Config[hubspot.SettingChangeListing] = "off"
	calls := &countingTransport{calls: map[string]int{}}
	c := hubspot.New(&http.Client{Transport: calls, Timeout: 10 * time.Second})
	made := b.contacts(t, "s", 2)
	read := readAll(t, c, b.target, b.cred, "contacts", []string{"email"}, "", 10)
	if !slices.Equal(ids(read.records), made) {
		t.Fatalf("read %v, want %v", ids(read.records), made)
	}
	for route := range calls.take() {
		if strings.Contains(route, "/hubsync/") {
			t.Errorf("called %s with the listing off", route)
		}
	}
}

// Against a side without the listing (HubSpot answers an unknown route
// 404), the first read falls back to search, and the cursor remembers it:
// later reads do not ask for the listing again.
func TestChangesFallBackToSearch(t *testing.T) {
	t.Parallel()
	f := newFakeHubSpot(t)
	c := hubspot.New(nil)
	target := f.target(nil)
	cred := connector.Credential{APIKey: fakeAPIKey}
	f.mu.Lock()
	first := f.add(f.now.Add(-time.Minute), map[string]string{"email": "a@example.com"})
	f.mu.Unlock()
	ctx := context.Background()
	page, err := c.Changes(ctx, target, cred, "contacts", []string{"email"}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 1 || page.Records[0].Props["email"] != "a@example.com" {
		t.Fatalf("first read %+v, want record %d", page.Records, first)
	}
	f.mu.Lock()
	f.add(f.now.Add(-time.Second), map[string]string{"email": "b@example.com"})
	f.mu.Unlock()
	page, err = c.Changes(ctx, target, cred, "contacts", []string{"email"}, page.Cursor, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 1 || page.Records[0].Props["email"] != "b@example.com" {
		t.Fatalf("second read %+v, want b", page.Records)
	}
	if n := f.count("GET /crm/hubsync/v1/objects/contacts/changes"); n != 1 {
		t.Errorf("asked for the change listing %d times, want once", n)
	}
	if n := f.count("POST /crm/v3/objects/contacts/search"); n < 2 {
		t.Errorf("searched %d times, want at least once a read", n)
	}
}

// A cursor that reads another hub's change listing and finds it gone (a
// misrouted call, a hub mid-downgrade) fails the read instead of searching
// everything again from the beginning.
func TestListingGoneFailsTheRead(t *testing.T) {
	t.Parallel()
	_, b := setupRecords(t)
	c := hubspot.New(nil)
	ctx := context.Background()
	b.contacts(t, "g", 2)
	page, err := c.Changes(ctx, b.target, b.cred, "contacts", []string{"email"}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeHubSpot(t) // answers 404 to the listing
	if _, err := c.Changes(ctx, f.target(nil), connector.Credential{APIKey: fakeAPIKey}, "contacts", []string{"email"}, page.Cursor, 100); err == nil || !strings.Contains(err.Error(), "change_listing=off") {
		t.Fatalf("a listing cursor against a side without the listing read on (err %v), want the error naming change_listing=off", err)
	}
	if n := f.count("POST /crm/v3/objects/contacts/search"); n != 0 {
		t.Errorf("searched %d times, want none", n)
	}
}

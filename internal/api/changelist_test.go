package api_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

type changesBody struct {
	Results  []record `json:"results"`
	Position string   `json:"position"`
	Paging   *paging  `json:"paging"`
}

const changesPath = "/crm/hubsync/v1/objects/"

// The change listing names creates, updates and archives in feed order,
// with the properties asked for, moves its position past entries of other
// object types, and pages by feed position without repeating or losing.
func TestChangeListing(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		list := func(query string) changesBody {
			t.Helper()
			return decode[changesBody](t, tb.do(t, "GET", changesPath+"contacts/changes"+query, nil), 200)
		}
		start := list("")
		ana := tb.create(t, "contacts", map[string]any{"email": "ana@example.com", "firstname": "Ana"})
		tb.create(t, "companies", map[string]any{"name": "Acme"})
		bo := tb.create(t, "contacts", map[string]any{"email": "bo@example.com"})
		decode[record](t, tb.do(t, "PATCH", objects+"contacts/"+ana.ID, map[string]any{"properties": map[string]string{"firstname": "Anna"}}), 200)
		if r := tb.do(t, "DELETE", objects+"contacts/"+bo.ID, nil); r.Status != 204 {
			t.Fatalf("archive: %d %s", r.Status, r.Body)
		}

		page := list("?after=" + start.Position + "&properties=firstname")
		if got := ids(page.Results); !slices.Equal(got, []string{ana.ID, bo.ID}) {
			t.Fatalf("listed %v, want [%s %s]", got, ana.ID, bo.ID)
		}
		if a := page.Results[0]; a.prop("firstname") != "Anna" || a.prop("email") != "<absent>" || a.Archived {
			t.Errorf("ana listed as %+v, want firstname Anna only, live", a)
		}
		if b := page.Results[1]; !b.Archived || b.ArchivedAt == "" {
			t.Errorf("bo listed as %+v, want archived with archivedAt", b)
		}
		if page.Paging != nil {
			t.Errorf("paging %+v on the last page", page.Paging)
		}
		if again := list("?after=" + page.Position); len(again.Results) != 0 || again.Position != page.Position {
			t.Errorf("after the last position: %v at %s, want nothing at %s", ids(again.Results), again.Position, page.Position)
		}

		// One entry a page: the company's entry moves the position and
		// lists nothing; every contact entry comes once, in order.
		var got []string
		after := start.Position
		for range 10 {
			p := list("?limit=1&after=" + after)
			got = append(got, ids(p.Results)...)
			if p.Paging == nil {
				break
			}
			if p.Paging.Next.After != p.Position || p.Position == after {
				t.Fatalf("page after %s: position %s, next %s", after, p.Position, p.Paging.Next.After)
			}
			after = p.Position
		}
		if want := []string{ana.ID, bo.ID, ana.ID, bo.ID}; !slices.Equal(got, want) {
			t.Errorf("one entry a page listed %v, want %v", got, want)
		}

		wantError(t, tb.do(t, "GET", changesPath+"contacts/changes?after=x", nil), 400, "VALIDATION_ERROR", "INVALID_CURSOR")
		wantError(t, tb.do(t, "GET", changesPath+"contacts/changes?limit=1001", nil), 400, "VALIDATION_ERROR", "INVALID_LIMIT")
		noRead := tb.env.Token(t, without("crm.objects.contacts.read")...)
		wantError(t, tb.env.Do(t, "GET", changesPath+"contacts/changes", noRead, nil), 403, "MISSING_SCOPES", "MISSING_SCOPES")
		wantError(t, tb.env.Do(t, "GET", changesPath+"contacts/changes", "", nil), 401, "INVALID_AUTHENTICATION", "MISSING_TOKEN")
	})
}

// A listing that asks to wait, with nothing after its position, answers
// with the change made while it waits.
func TestChangeListingWaits(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		start := decode[changesBody](t, tb.do(t, "GET", changesPath+"contacts/changes", nil), 200)
		got := make(chan hubtest.Response, 1)
		go func() {
			got <- tb.env.Do(t, "GET", changesPath+"contacts/changes?wait=10&after="+start.Position, tb.token, nil)
		}()
		time.Sleep(300 * time.Millisecond) // let it start waiting
		made := tb.create(t, "contacts", map[string]any{"email": "wait@example.com"})
		page := decode[changesBody](t, <-got, 200)
		if !slices.Equal(ids(page.Results), []string{made.ID}) {
			t.Fatalf("the waiting listing answered %v, want [%s]", ids(page.Results), made.ID)
		}
		wantError(t, tb.do(t, "GET", changesPath+"contacts/changes?wait=-1", nil), 400, "VALIDATION_ERROR", "INVALID_WAIT")
	})
}

package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/crm"
)

// version is HubSpot's ValueWithTimestamp on the wire.
type version struct {
	Value       string `json:"value"`
	Timestamp   string `json:"timestamp"`
	SourceType  string `json:"sourceType"`
	SourceID    string `json:"sourceId"`
	SourceLabel string `json:"sourceLabel"`
}

type withHistory struct {
	ID                    string               `json:"id"`
	PropertiesWithHistory map[string][]version `json:"propertiesWithHistory"`
}

// TestPropertiesWithHistory reads the history of properties through every
// read that takes propertiesWithHistory: each requested property's
// versions, newest first, with HubSpot's timestamp and source fields, from
// the change feed; unknown names are skipped; a property keeps its newest
// 50 versions; a list with history pages by at most 50.
func TestPropertiesWithHistory(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ctx := t.Context()
		rec := tb.create(t, "contacts", map[string]any{"email": "hist@example.com", "firstname": "Ada"})
		for _, w := range []struct{ source, firstname string }{{"sync:7", "Ada L."}, {"oauth:5", ""}, {"cli", "Ada"}} {
			if _, err := tb.env.Hub.CRM.Update(ctx, w.source, "contacts", rec.ID, "", map[string]string{"firstname": w.firstname}); err != nil {
				t.Fatal(err)
			}
		}
		want := []struct{ value, sourceType, sourceID string }{
			{"Ada", "CRM_UI", "cli"}, {"", "INTEGRATION", "oauth:5"}, {"Ada L.", "INTEGRATION", "sync:7"},
		}
		check := func(what string, got withHistory) {
			t.Helper()
			if _, ok := got.PropertiesWithHistory["nope"]; ok {
				t.Errorf("%s: an unknown property has a history", what)
			}
			if email := got.PropertiesWithHistory["email"]; len(email) != 1 || email[0].Value != "hist@example.com" {
				t.Errorf("%s: email history %+v", what, email)
			}
			first := got.PropertiesWithHistory["firstname"]
			if len(first) != 4 || first[3].Value != "Ada" || first[3].SourceType != "INTEGRATION" || first[3].SourceID[:12] != "private-app:" {
				t.Fatalf("%s: firstname history %+v, want 4 versions, the first by the private app", what, first)
			}
			var last time.Time
			for i, w := range want {
				v := first[i]
				at, err := time.Parse(time.RFC3339Nano, v.Timestamp)
				if err != nil || v.Value != w.value || v.SourceType != w.sourceType || v.SourceID != w.sourceID {
					t.Errorf("%s: version %d is %+v, want %+v", what, i, v, w)
				}
				if i > 0 && at.After(last) {
					t.Errorf("%s: version %d is newer than the one before it", what, i)
				}
				last = at
			}
		}
		path := objects + "contacts/" + rec.ID + "?propertiesWithHistory=firstname,email,nope"
		check("GET", decode[withHistory](t, tb.do(t, "GET", path, nil), 200))
		read := decode[struct{ Results []withHistory }](t, tb.do(t, "POST", objects+"contacts/batch/read",
			map[string]any{"inputs": []any{map[string]any{"id": rec.ID}}, "properties": []string{"email"},
				"propertiesWithHistory": []string{"firstname", "email", "nope"}}), 200)
		check("batch read", read.Results[0])
		if r := decode[record](t, tb.do(t, "GET", objects+"contacts/"+rec.ID, nil), 200); r.Properties == nil {
			t.Errorf("a read without propertiesWithHistory lost its properties")
		}

		// The newest 50 versions of a property.
		for i := range crm.MaxHistory + 5 {
			if _, err := tb.env.Hub.CRM.Update(ctx, "cli", "contacts", rec.ID, "", map[string]string{"lastname": fmt.Sprint("L", i)}); err != nil {
				t.Fatal(err)
			}
		}
		got := decode[withHistory](t, tb.do(t, "GET", objects+"contacts/"+rec.ID+"?propertiesWithHistory=lastname", nil), 200)
		if last := got.PropertiesWithHistory["lastname"]; len(last) != crm.MaxHistory || last[0].Value != fmt.Sprint("L", crm.MaxHistory+4) {
			t.Errorf("lastname history has %d versions starting %+v, want the newest %d", len(last), last[0], crm.MaxHistory)
		}

		// A list with history pages by at most 50 records.
		for range 2 {
			inputs := make([]any, 30)
			for i := range inputs {
				inputs[i] = map[string]any{"properties": map[string]any{"firstname": "Many"}}
			}
			decode[batchBody](t, tb.do(t, "POST", objects+"contacts/batch/create", map[string]any{"inputs": inputs}), http.StatusCreated)
		}
		page := decode[struct {
			Results []withHistory
			Paging  *paging
		}](t, tb.do(t, "GET", objects+"contacts?limit=100&propertiesWithHistory=firstname", nil), 200)
		if len(page.Results) != crm.MaxHistoryRecords || page.Paging == nil || page.Paging.Next == nil {
			t.Errorf("list with history gave %d records, paging %v; want %d and a next page", len(page.Results), page.Paging, crm.MaxHistoryRecords)
		}
		if i := slices.IndexFunc(page.Results, func(r withHistory) bool { return r.ID == rec.ID }); i < 0 || len(page.Results[i].PropertiesWithHistory["firstname"]) != 4 {
			t.Errorf("list with history: the first record's history is missing")
		}
	})
}

package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"pgregory.net/rapid"
)

// Strings with what JSON escapes or checks: quotes, HTML, controls,
// non-ASCII, invalid UTF-8 and U+2028.
var wireString = rapid.OneOf(
	rapid.StringMatching(`[a-z_0-9@. :+-]{0,16}`),
	rapid.SampledFrom([]string{"", `"`, `\`, "<b>&amp;</b>", "\x00\t\n", "Émile 👋", "\xff\xfe", "\u2028"}),
	rapid.String(),
)

var drawRecord = rapid.Custom(func(t *rapid.T) recordJSON {
	r := recordJSON{
		ID:         wireString.Draw(t, "id"),
		Properties: rapid.MapOf(wireString, rapid.Ptr(wireString, true)).Draw(t, "properties"),
		CreatedAt:  wireString.Draw(t, "createdAt"),
		UpdatedAt:  wireString.Draw(t, "updatedAt"),
		Archived:   rapid.Bool().Draw(t, "archived"),
		ArchivedAt: wireString.Draw(t, "archivedAt"),
		New:        rapid.Ptr(rapid.Bool(), true).Draw(t, "new"),
	}
	if rapid.Bool().Draw(t, "nil properties") {
		r.Properties = nil
	}
	if rapid.Bool().Draw(t, "history") {
		r.PropertiesWithHistory = map[string][]versionJSON{"email": {{Value: "a@b", Timestamp: "t", SourceType: "API"}}}
	}
	return r
})

var drawPaging = rapid.Custom(func(t *rapid.T) *pagingJSON {
	if rapid.Bool().Draw(t, "no paging") {
		return nil
	}
	return &pagingJSON{Next: &nextJSON{After: wireString.Draw(t, "after"), Link: wireString.Draw(t, "link")}}
})

// Every answer that writes its own JSON writes what encoding/json's
// Encoder, which the other answers go through, writes for it.
func TestAnswersWriteWhatEncodingJSONWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		recs := rapid.SliceOfN(drawRecord, 0, 3).Draw(t, "records")
		if rapid.Bool().Draw(t, "nil records") {
			recs = nil
		}
		batch := batchJSON{Status: wireString.Draw(t, "status"), Results: recs,
			StartedAt: wireString.Draw(t, "startedAt"), CompletedAt: wireString.Draw(t, "completedAt")}
		if rapid.Bool().Draw(t, "errors") {
			batch.NumErrors, batch.Errors = 1, []batchError{{Status: "error", Message: wireString.Draw(t, "message")}}
		}
		for _, answer := range []jsonAppender{
			drawRecord.Draw(t, "record"),
			batch,
			listJSON{Results: recs, Paging: drawPaging.Draw(t, "list paging")},
			searchResultJSON{Total: rapid.Int().Draw(t, "total"), Results: recs, Paging: drawPaging.Draw(t, "search paging")},
		} {
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(answer); err != nil {
				t.Fatal(err)
			}
			if got := append(answer.appendJSON(nil), '\n'); string(got) != want.String() {
				t.Fatalf("%T appendJSON\n%s\nencoding/json\n%s", answer, got, want.String())
			}
		}
	})
}

// A list whose records have as many properties as each other but not the
// same names still writes each record's own names.
func TestRecordListsWithDifferentPropertyNames(t *testing.T) {
	v := func(s string) *string { return &s }
	recs := []recordJSON{
		{ID: "1", Properties: map[string]*string{"a": v("1"), "b": v("2")}},
		{ID: "2", Properties: map[string]*string{"b": v("3"), "a": nil}},
		{ID: "3", Properties: map[string]*string{"c": v("4"), "a": v("5")}},
		{ID: "4", Properties: map[string]*string{}},
		{ID: "5", Properties: nil},
		{ID: "6", Properties: map[string]*string{"z": v("6")}},
	}
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(listJSON{Results: recs}); err != nil {
		t.Fatal(err)
	}
	if got := append(listJSON{Results: recs}.appendJSON(nil), '\n'); string(got) != want.String() {
		t.Fatalf("appendJSON\n%s\nencoding/json\n%s", got, want.String())
	}
}

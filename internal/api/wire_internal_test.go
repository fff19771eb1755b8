package api

import (
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

func TestRecordJSONIsWhatReflectionWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
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
		// In a list, as answers hold records.
		got, err := json.Marshal([]recordJSON{r})
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal([]plainRecord{plainRecord(r)})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("MarshalJSON\n%s\nreflection\n%s", got, want)
		}
	})
}

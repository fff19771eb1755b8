package api

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// A batch create writes its records straight from the store's: the bytes
// must be those of the general path, toJSONs then appendRecords.
func TestStoredRecordsWriteWhatToJSONsWrites(t *testing.T) {
	ot, err := crm.LookupType("contacts")
	if err != nil {
		t.Fatal(err)
	}
	names := rapid.SliceOf(rapid.OneOf(wireString, rapid.SampledFrom([]string{
		"email", crm.PropID, crm.PropCreateDate, crm.PropLastModified, crm.PropHSLastModified, ot.ModifiedProp})))
	at := rapid.Custom(func(t *rapid.T) time.Time {
		return time.UnixMilli(rapid.Int64Range(0, 4e12).Draw(t, "ms")).In(time.FixedZone("", rapid.IntRange(-5, 5).Draw(t, "zone")*3600))
	})
	rapid.Check(t, func(t *rapid.T) {
		shared := at.Draw(t, "shared")
		recs := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) store.Record {
			r := store.Record{ID: rapid.Int64().Draw(t, "id"), Type: ot.Name,
				Props:     rapid.MapOf(rapid.OneOf(wireString, rapid.SampledFrom([]string{"email", "firstname"})), wireString).Draw(t, "props"),
				CreatedAt: shared, UpdatedAt: shared, Archived: rapid.Bool().Draw(t, "archived"), ArchivedAt: at.Draw(t, "archivedAt")}
			if rapid.Bool().Draw(t, "own dates") {
				r.CreatedAt, r.UpdatedAt = at.Draw(t, "created"), at.Draw(t, "updated")
			}
			return r
		}), 0, 5).Draw(t, "records")
		props := names.Draw(t, "names")
		want := string(appendRecords(nil, toJSONs(ot, recs, props)))
		if recs == nil {
			want = "[]" // a batch answer's results are never null
		}
		if got := string(newStoredRecords(ot, recs, props).appendJSON(nil)); got != want {
			t.Fatalf("stored records\n%s\ntoJSONs\n%s", got, want)
		}
	})
}

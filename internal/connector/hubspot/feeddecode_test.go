package hubspot

import (
	"encoding/json"
	"reflect"
	"testing"
)

// hubPageJSON is a change listing page as a hub answers it: every value a
// string, some null, one with escapes.
func hubPageJSON(n int) []byte {
	return listingJSON(n, `],"position":"1000","paging":{"next":{"after":"1000"}}}`, func(i int) string {
		return `{"id":"` + ms(int64(i+1)) + `","properties":{"email":"c` + ms(int64(i)) + `@example.com","firstname":"First",` +
			`"lastname":"Last","company":"Acme \u0026 \"Sons\"","city":"Zürich","phone":null,"jobtitle":"Engineer",` +
			`"website":"https://example.com/","state":"ZH","zip":"8000","lastmodifieddate":"2026-11-28T10:05:00.000Z"},` +
			`"createdAt":"2026-11-28T10:00:00.000Z","updatedAt":"2026-11-28T10:05:00.000Z","archived":false}`
	})
}

// decodeCases are pages the change listing's decoder must read exactly as
// encoding/json does, or refuse as it does.
var decodeCases = []string{
	string(hubPageJSON(3)),
	`{"results":[],"position":"7"}`,
	`{"results":null,"position":null,"paging":null}`,
	` {"position" : "7" , "results" : [ { "id" : "1" , "archived" : true , "archivedAt" : "2026-11-28T10:00:00Z" } ] } `,
	`{"results":[{"id":"1","properties":{"a":"x","a":"y"}}],"position":"1"}`,
	`{"results":[{"ID":"1"}],"position":"1"}`,
	`{"results":[{"id":1,"properties":{"n":12.5,"b":true,"z":null}}],"position":"1"}`,
	`{"results":[{"id":"1","new":true,"objectWriteTraceId":"t"}],"position":"1","extra":{"x":[1,2]}}`,
	`{"results":[{"id":"1","properties":{"bad":"\x01"}}],"position":"1"}`,
	`{"results":[{"id":"1","properties":{"bad":"\q"}}],"position":"1"}`,
	`{"results":[{"id":"1","properties":{"bad":"\ud800"}}],"position":"1"}`,
	"{\"results\":[{\"id\":\"1\",\"properties\":{\"latin1\":\"\xff\"}}],\"position\":\"1\"}",
	`{"results":[{"id":"1",}],"position":"1"}`,
	`{"results":[{"id":"1"},],"position":"1"}`,
	`{"results":[{"id":"1"}],"position":"1"} x`,
	`{"results":[{"id":"1"}],"position":"1"`,
	`{"results":[{"id":"1","archived":nul}],"position":"1"}`,
	`{"results":[{"id":"1","archived":"yes"}],"position":"1"}`,
	`{"paging":{"next":{"after":"5","link":"?after=5"}},"paging":{"next":null}}`,
	`{"paging":{"next":{}}}`,
	`{null:"1"}`,
	`[]`,
	`null`,
	``,
}

func TestDecodeFeedPageAsEncodingJSON(t *testing.T) {
	for _, in := range decodeCases {
		checkDecode(t, []byte(in))
	}
	// The usual page takes the fast walk, escapes and nulls included.
	var p feedPage
	if err := newWalk(hubPageJSON(3)).page(&p); err != nil {
		t.Errorf("a hub's page went the slow way: %v", err)
	}
}

func FuzzDecodeFeedPage(f *testing.F) {
	for _, in := range decodeCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data) })
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	var want feedPage
	wantErr := json.Unmarshal(data, &want)
	got, err := decodeFeedPage(data)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%q: error %v, encoding/json's %v", data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded %+v, encoding/json %+v", data, got, want)
	}
}

// BenchmarkDecodeHubPage decodes a 1,000-record page of a hub's change
// listing, by the walk and by encoding/json.
func BenchmarkDecodeHubPage(b *testing.B) {
	data := hubPageJSON(1000)
	b.Run("walk", func(b *testing.B) {
		benchDecode(b, data, func(data []byte) error {
			_, err := decodeFeedPage(data)
			return err
		})
	})
	b.Run("encoding-json", func(b *testing.B) {
		benchDecode(b, data, func(data []byte) error {
			var p feedPage
			return json.Unmarshal(data, &p)
		})
	})
}

package hubspot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// pageJSON is a listing page of n contacts with ten text properties, as a
// hub answers it, and some values of other JSON types.
func pageJSON(n int) []byte {
	return listingJSON(n, `],"position":"1000"}`, func(i int) string {
		return fmt.Sprintf(`{"id":"%d","properties":{"email":"c%d@example.com","firstname":"First","lastname":"Last %d",`+
			`"company":"Acme \"Inc\"","city":"Zürich","phone":"+41 44 000 00 00","jobtitle":"Engineer","website":"https://example.com/%d",`+
			`"state":"ZH","zip":"8000","lastmodifieddate":"2026-11-28T10:05:00.000Z","hs_object_id":"%d","n":12.5,"b":true,"z":null},`+
			`"createdAt":"2026-11-28T10:00:00.000Z","updatedAt":"2026-11-28T10:05:00.000Z","archived":false}`, i+1, i, i, i, i+1)
	})
}

// listingJSON is a page of n records, each written by record, closed by end.
func listingJSON(n int, end string, record func(i int) string) []byte {
	var b strings.Builder
	b.WriteString(`{"results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(record(i))
	}
	b.WriteString(end)
	return []byte(b.String())
}

func TestTextDecodesEveryScalar(t *testing.T) {
	var p feedPage
	if err := json.Unmarshal(pageJSON(2), &p); err != nil {
		t.Fatal(err)
	}
	got := p.Results[1].Properties
	for name, want := range map[string]string{"company": `Acme "Inc"`, "city": "Zürich", "n": "12.5", "b": "true", "z": "", "email": "c1@example.com"} {
		if string(got[name]) != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	if p.Results[1].ID != "2" || p.Position != "1000" {
		t.Errorf("id %q position %q", p.Results[1].ID, p.Position)
	}
	var bad text
	if err := json.Unmarshal([]byte(`{"a":1}`), &bad); err == nil {
		t.Errorf("an object decoded as text %q", bad)
	}
}

// BenchmarkDecodePage decodes a 1,000-record page.
func BenchmarkDecodePage(b *testing.B) {
	benchDecode(b, pageJSON(1000), func(data []byte) error {
		var p feedPage
		return json.Unmarshal(data, &p)
	})
}

// benchDecode decodes a 1,000-record page with decode.
func benchDecode(b *testing.B, data []byte, decode func(data []byte) error) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := decode(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}

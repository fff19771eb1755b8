package sqlstore

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// Property strings with what JSON must escape or check: quotes, HTML,
// controls, non-ASCII, invalid UTF-8 and U+2028.
var propString = rapid.OneOf(
	rapid.StringMatching(`[a-z_0-9@. +-]{0,12}`),
	rapid.SampledFrom([]string{"", `"`, `\`, "<b>&amp;</b>", "\x00\t\n", "Émile 👋", "\xff\xfe", "\u2028", "a\"b\\c"}),
	rapid.String(),
)

func TestPropsJSONIsWhatEncodingJSONWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		props := rapid.MapOf(propString, propString).Draw(t, "props")
		want, err := json.Marshal(props)
		if err != nil {
			t.Fatal(err)
		}
		if got := propsJSON(props); string(got) != string(want) {
			t.Fatalf("propsJSON %s, json.Marshal %s", got, want)
		}
	})
}

func TestDecodePropsReadsWhatEncodingJSONReads(t *testing.T) {
	docs := []string{
		`{}`, ` { } `, `{"a":"b"}`, `{"a": "b", "c": "d"}`, "{\n\"a\" :\t\"b\" }",
		`{"a":"b","a":"c"}`, `{"a":"\u00e9\n"}`, `{"é":"👋"}`, "{\"a\":\"\xff\"}",
		`{"a":1}`, `{"a":null}`, `null`, `{"a":"b",}`, `{"a":"b"} x`, `{"a":"b"`, `{"a"}`, `[]`, ``,
	}
	check := func(t interface {
		Fatalf(string, ...any)
	}, doc string) {
		var want map[string]string
		wantErr := json.Unmarshal([]byte(doc), &want)
		got, gotErr := decodeProps([]byte(doc))
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("%q: error %v, encoding/json's %v", doc, gotErr, wantErr)
		}
		// cmp tells a nil map from an empty one, as a reader of Props would.
		if wantErr == nil && !cmp.Equal(got, want) {
			t.Fatalf("%q: %v, encoding/json's %v", doc, got, want)
		}
	}
	for _, doc := range docs {
		check(t, doc)
	}
	rapid.Check(t, func(rt *rapid.T) {
		props := rapid.MapOf(propString, propString).Draw(rt, "props")
		doc, _ := json.Marshal(props)
		check(rt, string(doc))
	})
}

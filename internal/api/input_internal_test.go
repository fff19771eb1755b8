package api

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// The fast reading of a batch create body either reads what encoding/json
// reads or declines; it must take the shape clients send.
func TestBatchCreateFastDecodeReadsWhatEncodingJSONReads(t *testing.T) {
	check := func(t interface {
		Fatalf(string, ...any)
	}, doc string, wantFast bool) {
		var fast batchCreateJSON
		ok := fast.decodeFast([]byte(doc))
		if ok != wantFast {
			t.Fatalf("%s: fast path taken %v, want %v", doc, ok, wantFast)
		}
		if !ok {
			if fast.Inputs != nil {
				t.Fatalf("%s: declined but set inputs", doc)
			}
			return
		}
		var slow batchCreateJSON
		if err := json.Unmarshal([]byte(doc), &slow); err != nil {
			t.Fatalf("%s: fast path took what encoding/json refuses: %v", doc, err)
		}
		if diff := cmp.Diff(slow, fast); diff != "" {
			t.Fatalf("%s (-encoding/json +fast):\n%s", doc, diff)
		}
	}
	for _, tc := range []struct {
		doc  string
		fast bool
	}{
		{`{"inputs":[]}`, true},
		{`{"inputs":[{"properties":{"email":"a@b.c","firstname":"Ada"},"associations":[]}]}`, true},
		{` { "inputs" : [ { "associations" : [ ] , "properties" : { } } , {} ] } `, true},
		{`{"inputs":[{"properties":{"a":"1","a":"2"}}]}`, true},
		{`{"inputs":[{"properties":{"é":"👋"}}]}`, true},
		{`{"inputs":[{"properties":{"a":"\u00e9"}}]}`, false},
		{`{"inputs":[{"properties":{"a":1}}]}`, false},
		{`{"inputs":[{"properties":{"a":null}}]}`, false},
		{`{"inputs":[{"properties":null}]}`, false},
		{`{"inputs":[null]}`, false},
		{`{"inputs":null}`, false},
		{`{"Inputs":[]}`, false},
		{`{"inputs":[{"Properties":{}}]}`, false},
		{`{"inputs":[{"properties":{},"properties":{}}]}`, false},
		{`{"inputs":[{"associations":[{"to":{"id":"1"}}]}]}`, false},
		{`{"inputs":[],"other":1}`, false},
		{`{"inputs":[{"properties":{"a":"b"}},]}`, false},
		{`{"inputs":[{"properties":{"a":"b"}}]} x`, false},
		{`{"inputs":[{"properties":{"a":"b"}`, false},
		{"{\"inputs\":[{\"properties\":{\"a\":\"\xff\"}}]}", false},
	} {
		check(t, tc.doc, tc.fast)
	}
	plain := rapid.StringMatching(`[a-zA-Z0-9_@. +-]{0,12}`)
	rapid.Check(t, func(rt *rapid.T) {
		inputs := rapid.SliceOfN(rapid.MapOf(plain, plain), 0, 5).Draw(rt, "inputs")
		body := map[string]any{"inputs": []any{}}
		for _, p := range inputs {
			body["inputs"] = append(body["inputs"].([]any), map[string]any{"properties": p, "associations": []any{}})
		}
		doc, _ := json.Marshal(body)
		check(rt, string(doc), true)
	})
}

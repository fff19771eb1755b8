package api_test

import (
	"fmt"
	"slices"
	"testing"
)

// TestLargestSearchIsAnswered: the most filters a search takes, each with
// the most IN values, stay within every backend's limit on bound
// parameters and find what they should.
func TestLargestSearchIsAnswered(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		target := tb.create(t, "contacts", map[string]any{"email": "v99@example.com"})
		values := make([]string, 100)
		for i := range values {
			values[i] = fmt.Sprintf("v%d@example.com", i)
		}
		var groups []any
		for range 4 {
			var filters []any
			for range 25 {
				filters = append(filters, map[string]any{"propertyName": "email", "operator": "IN", "values": values})
			}
			groups = append(groups, map[string]any{"filters": filters})
		}
		r := tb.do(t, "POST", objects+"contacts/search", map[string]any{"filterGroups": groups})
		if r.Status != 200 {
			t.Fatalf("status %d; body: %s\nserver log: %s", r.Status, r.Body, tb.logFor(string(r.Body)))
		}
		if got := ids(decode[searchBody](t, r, 200).Results); !slices.Equal(got, []string{target.ID}) {
			t.Errorf("found %v, want [%s]", got, target.ID)
		}
	})
}

package crm

import (
	"testing"

	"github.com/hubsync/hubsync/internal/store"
)

// prepareAll reports every wrong property of every input, by input and
// then by name, however the maps happen to be walked; valid inputs come
// back normalized.
func TestPrepareAllListsErrorsInAStableOrder(t *testing.T) {
	set := propertySet{
		"email":    {Property: store.Property{Name: "email", Type: "string"}},
		"hs_magic": {Property: store.Property{Name: "hs_magic", Type: "string"}, ReadOnlyValue: true},
	}
	inputs := []map[string]string{
		{"zeta": "1", "email": "a@example.com", "alpha": "2", "hs_magic": "x"},
		{"beta": "3", "email": "b@example.com"},
	}
	var first string
	for i := range 20 {
		_, err := prepareAll(set, inputs)
		if err == nil {
			t.Fatal("invalid inputs were accepted")
		}
		if i == 0 {
			first = err.Error()
			continue
		}
		if err.Error() != first {
			t.Fatalf("the errors changed order between calls:\n%s\n%s", first, err.Error())
		}
	}
	e, ok := err0(prepareAll(set, inputs)).(*Error)
	if !ok {
		t.Fatalf("not a crm error: %v", first)
	}
	var names []string
	for _, n := range e.Context["propertyName"] {
		names = append(names, n)
	}
	if len(names) != 4 {
		t.Fatalf("want the 4 wrong names, got %v in %q", names, first)
	}
	out, err := prepareAll(set, []map[string]string{{"email": "c@example.com"}, {}})
	if err != nil || len(out) != 2 || out[0]["email"] != "c@example.com" || len(out[1]) != 0 {
		t.Fatalf("valid inputs: %v, %v", out, err)
	}
}

func err0[T any](_ T, err error) error { return err }

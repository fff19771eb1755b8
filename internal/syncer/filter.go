package syncer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// Filter operators.
var operators = []string{"eq", "neq", "has", "not_has", "in", "not_in", "gt", "lt"}

func checkFilters(fs []store.Filter) error {
	for _, f := range fs {
		if f.Property == "" {
			return fmt.Errorf("a filter needs a property")
		}
		if !slices.Contains(operators, f.Operator) {
			return fmt.Errorf("filter on %s: unknown operator %q (known: %s)", f.Property, f.Operator, strings.Join(operators, ", "))
		}
	}
	return nil
}

// passes reports whether props meet every filter. Text compares without
// case; gt and lt compare numbers when both sides are numbers, else text.
func passes(fs []store.Filter, props map[string]string) bool {
	for _, f := range fs {
		if !pass(f, props[f.Property]) {
			return false
		}
	}
	return true
}

func pass(f store.Filter, v string) bool {
	switch f.Operator {
	case "eq":
		return strings.EqualFold(v, f.Value)
	case "neq":
		return !strings.EqualFold(v, f.Value)
	case "has":
		return v != ""
	case "not_has":
		return v == ""
	case "in", "not_in":
		in := false
		for _, want := range strings.Split(f.Value, ",") {
			in = in || strings.EqualFold(v, strings.TrimSpace(want))
		}
		return in == (f.Operator == "in")
	case "gt", "lt":
		if v == "" {
			return false
		}
		c := compare(v, f.Value)
		return f.Operator == "gt" && c > 0 || f.Operator == "lt" && c < 0
	}
	return false
}

func compare(a, b string) int {
	x, okA := ratOf(a)
	y, okB := ratOf(b)
	if okA && okB {
		return x.Cmp(y)
	}
	return strings.Compare(a, b)
}

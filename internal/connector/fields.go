package connector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ReasonMappingInvalid is a field mapping that names a field the external
// object does not have. It is definite, but only the object syncs that map
// the field fail: the connection is degraded, not held, and a corrected
// mapping cures it.
const ReasonMappingInvalid = "mapping_invalid"

// Schema is what an external object has.
type Schema struct {
	// Object is the external object as the external side names it: a
	// table's schema.name, a HubSpot object type.
	Object string
	// Fields are its fields (columns, properties), in the external side's
	// order.
	Fields []string
}

// FieldLister is a connector that can list the fields of an external
// object, so that a mapping is checked before it runs.
type FieldLister interface {
	// Fields describes object on the external side. It may answer from
	// what it learned recently unless fresh is set. Failures are *Error,
	// or ErrNoFieldList.
	Fields(ctx context.Context, t Target, c Credential, object string, fresh bool) (Schema, error)
}

// ErrNoFieldList is a credential the external side does not show its field
// definitions to (a HubSpot token without the schema read scope), or, when
// a recent answer may be given, a listing that failed a moment ago:
// mappings are then not checked ahead, and a wrong one shows when records
// are written.
var ErrNoFieldList = errors.New("the external app does not list its fields to this connection")

// CheckFields returns a definite mapping_invalid error naming the fields of
// want that object lacks on the external side, with the fields it has. A
// connector that cannot list fields, or a credential that may not, passes.
// Unless fresh is set it may answer from what the connector learned
// recently, but a field missing from that is looked up afresh before it is
// called missing.
func CheckFields(ctx context.Context, k Connector, t Target, c Credential, object string, want []string, fresh bool) error {
	fl, ok := k.(FieldLister)
	if !ok {
		return nil
	}
	s, err := fl.Fields(ctx, t, c, object, fresh)
	if err == nil && !fresh && len(absent(want, s.Fields)) > 0 {
		s, err = fl.Fields(ctx, t, c, object, true)
	}
	switch {
	case errors.Is(err, ErrNoFieldList):
		return nil
	case err != nil:
		return err
	}
	if missing := absent(want, s.Fields); len(missing) > 0 {
		return MappingInvalid(s.Object, missing, s.Fields)
	}
	return nil
}

func absent(want, have []string) []string {
	var out []string
	for _, f := range want {
		if !slices.Contains(have, f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// maxListed bounds how many existing fields an error lists; real HubSpot
// objects have hundreds of properties.
const maxListed = 100

// MappingInvalid is the error of fields missing from an external object;
// have, when known, are the fields it has, listed after any that look like
// what was meant.
func MappingInvalid(object string, missing, have []string) *Error {
	quoted := make([]string, len(missing))
	for i, f := range missing {
		quoted[i] = strconv.Quote(f)
	}
	noun := "field"
	if len(missing) > 1 {
		noun = "fields"
	}
	msg := fmt.Sprintf("%s has no %s %s", object, noun, strings.Join(quoted, ", "))
	if near := nearest(missing, have); len(near) > 0 {
		msg += "; did you mean " + strings.Join(near, " or ") + "?"
	} else {
		msg += "."
	}
	if len(have) > 0 {
		listed := strings.Join(have[:min(len(have), maxListed)], ", ")
		if len(have) > maxListed {
			listed += fmt.Sprintf(", … (%d in all)", len(have))
		}
		msg += " It has: " + listed + "."
	}
	return &Error{Reason: ReasonMappingInvalid, Definite: true, Detail: strings.Join(missing, ", ") + " on " + object, Message: msg}
}

// nearest are the fields of have that differ from a missing one only in
// case, underscores or dashes, or by a letter or two (one for short names).
func nearest(missing, have []string) []string {
	var out []string
	for _, m := range missing {
		near := min(len(m)/3, 2)
		for _, h := range have {
			// Names whose lengths differ by more than near are further
			// apart than that: no need to pay len(m)×len(h) to learn it.
			similar := abs(len(m)-len(h)) <= near && distance(m, h) <= near
			if (similar || fold(m) == fold(h)) && !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

func abs(n int) int { return max(n, -n) }

func fold(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// distance is the Levenshtein distance between a and b, by byte.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

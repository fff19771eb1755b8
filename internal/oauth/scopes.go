package oauth

import (
	"fmt"
	"slices"
	"strings"
)

// Scopes is every scope the hub grants, as HubSpot spells them.
var Scopes = func() []string {
	var all []string
	for _, o := range []string{"contacts", "companies", "deals"} {
		all = append(all,
			"crm.objects."+o+".read", "crm.objects."+o+".write",
			"crm.schemas."+o+".read", "crm.schemas."+o+".write")
	}
	return all
}()

// ObjectScope is the scope reading (or writing) records of an object type needs.
func ObjectScope(objectType string, write bool) string {
	return "crm.objects." + objectType + "." + verb(write)
}

// SchemaScope is the scope reading (or writing) property definitions needs.
func SchemaScope(objectType string, write bool) string {
	return "crm.schemas." + objectType + "." + verb(write)
}

func verb(write bool) string {
	if write {
		return "write"
	}
	return "read"
}

// ParseScopes splits a comma- or space-separated list, checks each scope and
// drops repeats.
func ParseScopes(list string) ([]string, error) {
	fields := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' })
	var out []string
	for _, s := range fields {
		if !slices.Contains(Scopes, s) {
			return nil, fmt.Errorf("%w: unknown scope %q; known scopes are %s", ErrInvalidScope, s, strings.Join(Scopes, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: at least one scope is needed", ErrInvalidScope)
	}
	return out, nil
}

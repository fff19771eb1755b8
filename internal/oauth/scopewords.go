package oauth

import (
	"strings"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// scopeNeeds is the object permission a user must hold for a scope to take
// effect: reading needs view, writing needs edit.
func scopeNeeds(scope string) (object, level string) {
	parts := strings.Split(scope, ".")
	if len(parts) != 4 || parts[0] != "crm" {
		return "", ""
	}
	level = identity.AccessView
	if parts[3] == "write" {
		level = identity.AccessEdit
	}
	return parts[2], level
}

// userAllows reports whether u may currently use scope.
func userAllows(u store.User, scope string) bool {
	object, level := scopeNeeds(scope)
	return object != "" && identity.Allows(u, object, level)
}

// effectiveScopes are the granted scopes the user may use right now.
func effectiveScopes(granted []string, u store.User) []string {
	var out []string
	for _, s := range granted {
		if userAllows(u, s) {
			out = append(out, s)
		}
	}
	return out
}

// scopeWords says what a scope lets an app do, for the consent page.
func scopeWords(scope string) string {
	parts := strings.Split(scope, ".")
	if len(parts) != 4 {
		return scope
	}
	object := parts[2]
	switch parts[1] + "." + parts[3] {
	case "objects.read":
		return "View your " + object
	case "objects.write":
		return "Create, change and archive " + object
	case "schemas.read":
		return "View the properties of " + object
	case "schemas.write":
		return "Create properties of " + object
	}
	return scope
}

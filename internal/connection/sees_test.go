package connection_test

import (
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Members see the connections they run, own or maintain, and no other:
// not one that nobody owns, whatever their user's id.
func TestSees(t *testing.T) {
	member := store.User{ID: 7, Role: identity.RoleMember, Status: identity.StatusActive}
	admin := store.User{ID: 8, Role: identity.RoleAdmin, Status: identity.StatusActive}
	for _, tc := range []struct {
		name   string
		viewer *store.User
		conn   store.Connection
		want   bool
	}{
		{"the command line", nil, store.Connection{OwnerID: 3}, true},
		{"an admin", &admin, store.Connection{OwnerID: 3}, true},
		{"a member, connector user", &member, store.Connection{OwnerID: 7}, true},
		{"a member, maintainer", &member, store.Connection{OwnerID: 3, MaintainerID: 7}, true},
		{"a member, someone else's", &member, store.Connection{OwnerID: 3, MaintainerID: 4}, false},
		{"a member, nobody's", &member, store.Connection{}, false},
		{"a user without an id, nobody's", &store.User{Role: identity.RoleMember, Status: identity.StatusActive}, store.Connection{}, false},
	} {
		if got := connection.Sees(tc.viewer, tc.conn); got != tc.want {
			t.Errorf("%s: Sees = %v, want %v", tc.name, got, tc.want)
		}
	}
}

package identity_test

import (
	"errors"
	"testing"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

func TestWhoMayChangeWhom(t *testing.T) {
	super := store.User{Role: identity.RoleSuperAdmin, Status: identity.StatusActive}
	admin := store.User{Role: identity.RoleAdmin, Status: identity.StatusActive}
	member := store.User{Role: identity.RoleMember, Status: identity.StatusActive, IntegrationsManage: true}
	gone := store.User{Role: identity.RoleAdmin, Status: identity.StatusDeactivated}
	for _, c := range []struct {
		name                   string
		actor, target, updated store.User
		update, offboard       bool
	}{
		{"a super admin changes a super admin", super, super, admin, true, true},
		{"an admin changes a member", admin, member, admin, true, true},
		{"an admin may not make a super admin", admin, member, super, false, true},
		{"an admin may not touch a super admin", admin, super, super, false, false},
		{"a member with integrations.manage changes nobody", member, member, member, false, false},
		{"a deactivated admin changes nobody", gone, member, member, false, false},
	} {
		if got := identity.MayUpdate(c.actor, c.target, c.updated); got != c.update {
			t.Errorf("%s: MayUpdate %v", c.name, got)
		}
		if got := identity.MayOffboard(c.actor, c.target); got != c.offboard {
			t.Errorf("%s: MayOffboard %v", c.name, got)
		}
	}
}

// Apply makes the change in memory only, checking it as UpdateUser does.
func TestApplyChecksWithoutSaving(t *testing.T) {
	u := store.User{Role: identity.RoleAdmin, Status: identity.StatusActive, Permissions: map[string]string{"deals": "edit", "contacts": "edit"}}
	role, no := identity.RoleMember, false
	got, err := identity.UserChanges{Role: &role, Permissions: map[string]string{"deals": "view"}, IntegrationsManage: &no}.Apply(u)
	if err != nil || got.Role != role || got.Permissions["deals"] != "view" || got.Permissions["contacts"] != "edit" || u.Permissions["deals"] != "edit" {
		t.Fatalf("Apply: %+v %v (the original now %v)", got, err, u.Permissions)
	}
	if lost := identity.Reduced(u, got); len(lost) != 1 || lost[0] != "deals" {
		t.Errorf("Reduced: %v", lost)
	}
	bad := "king"
	if _, err := (identity.UserChanges{Role: &bad}).Apply(u); !errors.Is(err, identity.ErrInvalid) {
		t.Errorf("unknown role: %v", err)
	}
	if _, err := (identity.UserChanges{Permissions: map[string]string{"tickets": "view"}}).Apply(u); !errors.Is(err, identity.ErrInvalid) {
		t.Errorf("unknown object: %v", err)
	}
	u.Status = identity.StatusRemoved
	if _, err := (identity.UserChanges{}).Apply(u); !errors.Is(err, identity.ErrUserRemoved) {
		t.Errorf("removed user: %v", err)
	}
}

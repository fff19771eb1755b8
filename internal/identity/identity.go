// Package identity owns the hub's account and its users: roles, per-object
// permissions, the integrations.manage permission, lifecycle status and the
// credentials epoch. Every lifecycle change is written as an identity event in
// the same transaction, for the parts of the hub that react to people coming
// and going. It does not own sessions or tokens (package oauth does).
package identity

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// Roles.
const (
	RoleSuperAdmin = "super_admin"
	RoleAdmin      = "admin"
	RoleMember     = "member"
)

// Statuses.
const (
	StatusActive      = "active"
	StatusDeactivated = "deactivated"
	StatusRemoved     = "removed"
)

// Access levels on an object, in increasing order.
const (
	AccessNone = "none"
	AccessView = "view"
	AccessEdit = "edit"
)

// Identity event kinds.
const (
	EventCreated            = "user.created"
	EventDeactivated        = "user.deactivated"
	EventReactivated        = "user.reactivated"
	EventRemoved            = "user.removed"
	EventPasswordChanged    = "user.password_changed"
	EventPermissionsChanged = "user.permissions_changed"
)

// Objects are the CRM object types permissions apply to.
var Objects = []string{"contacts", "companies", "deals"}

// Errors.
var (
	ErrInvalid            = errors.New("invalid")
	ErrAlreadyInitialized = errors.New("the hub is already initialised")
	ErrNotInitialized     = errors.New("the hub is not initialised; run hubsync init")
	ErrLastSuperAdmin     = errors.New("the hub must keep at least one active super admin")
	ErrUserRemoved        = errors.New("the user has been removed")
	ErrBadCredentials     = errors.New("email or password is wrong")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

var levels = map[string]int{AccessNone: 0, AccessView: 1, AccessEdit: 2}

// Access returns a user's current access to an object: none for anyone not
// active, edit on everything for super admins, else the granted level.
func Access(u store.User, object string) string {
	if u.Status != StatusActive {
		return AccessNone
	}
	return granted(u, object)
}

// granted is the access a user's role and permissions give, whatever the status.
func granted(u store.User, object string) string {
	if u.Role == RoleSuperAdmin {
		return AccessEdit
	}
	if a, ok := u.Permissions[object]; ok {
		return a
	}
	return AccessNone
}

func grantsIntegrations(u store.User) bool {
	return u.Role == RoleSuperAdmin || u.IntegrationsManage
}

// Allows reports whether u may currently act on object at level (view or edit).
func Allows(u store.User, object, level string) bool {
	return levels[Access(u, object)] >= levels[level]
}

// CanManageIntegrations reports whether u may currently manage integrations.
func CanManageIntegrations(u store.User) bool {
	return u.Status == StatusActive && grantsIntegrations(u)
}

// CanViewIntegrations reports whether u may see every connection, the
// review and the audit log: admins and those who manage integrations.
// Members see only what they themselves are responsible for.
func CanViewIntegrations(u store.User) bool {
	return CanManageIntegrations(u) || CanManageUsers(u)
}

// CanManageUsers reports whether u may add, change, deactivate and remove
// users.
func CanManageUsers(u store.User) bool {
	return u.Status == StatusActive && (u.Role == RoleSuperAdmin || u.Role == RoleAdmin)
}

// MayOffboard reports whether actor may remove or deactivate target: an
// admin may, except a super admin, whom only another super admin may.
func MayOffboard(actor, target store.User) bool {
	return CanManageUsers(actor) && (target.Role != RoleSuperAdmin || actor.Role == RoleSuperAdmin)
}

// MayUpdate reports whether actor may change target into updated: an admin
// may change users, but only a super admin may change a super admin or make
// one.
func MayUpdate(actor, target, updated store.User) bool {
	if !CanManageUsers(actor) {
		return false
	}
	return actor.Role == RoleSuperAdmin || target.Role != RoleSuperAdmin && updated.Role != RoleSuperAdmin
}

func normalizeEmail(email string) (string, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || addr.Name != "" || addr.Address != strings.TrimSpace(email) {
		return "", invalid("%q is not an email address", email)
	}
	return strings.ToLower(addr.Address), nil
}

func checkRole(role string) error {
	if !slices.Contains([]string{RoleSuperAdmin, RoleAdmin, RoleMember}, role) {
		return invalid("role %q is not one of super_admin, admin, member", role)
	}
	return nil
}

func checkPasswordRules(password string) error {
	if len(password) < 8 {
		return invalid("password must have at least 8 characters")
	}
	return nil
}

// defaultPermissions are what a new user of a role gets unless told otherwise.
func defaultPermissions(role string) map[string]string {
	level := AccessView
	if role != RoleMember {
		level = AccessEdit
	}
	perms := map[string]string{}
	for _, o := range Objects {
		perms[o] = level
	}
	return perms
}

// mergePermissions applies changes (object → level) to perms, checking both.
func mergePermissions(perms, changes map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range perms {
		out[k] = v
	}
	for object, level := range changes {
		if !slices.Contains(Objects, object) {
			return nil, invalid("object %q is not one of %s", object, strings.Join(Objects, ", "))
		}
		if _, ok := levels[level]; !ok {
			return nil, invalid("access %q for %s is not one of none, view, edit", level, object)
		}
		out[object] = level
	}
	return out, nil
}

// Reduced lists what old could do that updated no longer can: objects whose
// access went down, and integrations.manage.
func Reduced(old, updated store.User) []string {
	var out []string
	for _, o := range Objects {
		if levels[granted(updated, o)] < levels[granted(old, o)] {
			out = append(out, o)
		}
	}
	if grantsIntegrations(old) && !grantsIntegrations(updated) {
		out = append(out, "integrations.manage")
	}
	return out
}

// permissionsChanged reports whether the role or grants changed.
func permissionsChanged(old, updated store.User) bool {
	if old.Role != updated.Role || grantsIntegrations(old) != grantsIntegrations(updated) {
		return true
	}
	for _, o := range Objects {
		if granted(old, o) != granted(updated, o) {
			return true
		}
	}
	return false
}

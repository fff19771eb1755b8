package web

import (
	"net/http"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// userForm is the add-user and change-permissions form: role, a level per
// object (field perm_<object>) and integrations.manage ("on" or "off"; a
// new user without either gets the role's default, a change reads its
// absence as off, as an unticked checkbox).
type userForm struct {
	Email, Name, Role, Password string
	Permissions                 map[string]string
	IntegrationsManage          bool
	manageGiven                 bool
}

func readUserForm(r *http.Request) userForm {
	f := userForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: r.PostFormValue("role"), Password: r.PostFormValue("password"), Permissions: map[string]string{},
		IntegrationsManage: r.PostFormValue("integrations_manage") == "on"}
	f.manageGiven = f.IntegrationsManage || r.PostFormValue("integrations_manage") == "off"
	for _, o := range identity.Objects {
		if level := r.PostFormValue("perm_" + o); level != "" {
			f.Permissions[o] = level
		}
	}
	return f
}

// ManageChoice is the integrations.manage choice as the form sent it:
// "on", "off", or "" for the role's default.
func (f userForm) ManageChoice() string {
	switch {
	case !f.manageGiven:
		return ""
	case f.IntegrationsManage:
		return "on"
	}
	return "off"
}

// changes are the form's role and permissions as an update of a user.
func (f userForm) changes() identity.UserChanges {
	return identity.UserChanges{Role: &f.Role, Permissions: f.Permissions, IntegrationsManage: &f.IntegrationsManage}
}

func (f userForm) newUser() identity.NewUser {
	n := identity.NewUser{Email: f.Email, Name: f.Name, Role: f.Role, Password: f.Password, Permissions: f.Permissions}
	if f.manageGiven {
		n.IntegrationsManage = &f.IntegrationsManage
	}
	return n
}

// mayUpdate refuses a change identity's rules do not let the signed-in
// person make (a super admin's, or making one, by a plain admin).
func (v *visit) mayUpdate(target, updated store.User) error {
	return connection.UserChangeRefusal(v.user, target, updated)
}

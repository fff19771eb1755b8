package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// userRow is a user as the list shows them.
type userRow struct {
	User   store.User
	Access []objectAccess
	// Manage: the user may manage integrations (while active).
	Manage bool
}

// objectAccess is what a user's role and permissions give on one object.
type objectAccess struct{ Object, Level string }

func newUserRow(u store.User) userRow {
	granted := u
	granted.Status = identity.StatusActive // what the role gives, whatever the status
	row := userRow{User: u, Manage: identity.CanManageIntegrations(granted)}
	for _, o := range identity.Objects {
		row.Access = append(row.Access, objectAccess{o, identity.Access(granted, o)})
	}
	return row
}

type userListData struct {
	Users []userRow
	// Roles and Levels are the choices of the add-user form.
	Roles, Levels []string
	Objects       []string
	// Form is the add-user form as sent, shown again with Error.
	Form  userForm
	Error string
}

var (
	userRoles    = []string{identity.RoleMember, identity.RoleAdmin, identity.RoleSuperAdmin}
	accessLevels = []string{identity.AccessNone, identity.AccessView, identity.AccessEdit}
)

func (c *Console) userList(v *visit) error {
	return c.showUsers(v, http.StatusOK, userListData{})
}

// showUsers fills the list and the form's choices and shows the page.
func (c *Console) showUsers(v *visit, status int, d userListData) error {
	users, err := c.Identity.Users(v.r.Context())
	if err != nil {
		return err
	}
	d.Roles, d.Levels, d.Objects = userRoles, accessLevels, identity.Objects
	for _, u := range users {
		d.Users = append(d.Users, newUserRow(u))
	}
	return c.show(v, status, "users", "Users", "users", d)
}

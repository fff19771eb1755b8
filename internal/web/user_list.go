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
}

var (
	userRoles    = []string{identity.RoleMember, identity.RoleAdmin, identity.RoleSuperAdmin}
	accessLevels = []string{identity.AccessNone, identity.AccessView, identity.AccessEdit}
)

func (c *Console) userList(v *visit) error {
	users, err := c.Identity.Users(v.r.Context())
	if err != nil {
		return err
	}
	d := userListData{Roles: userRoles, Levels: accessLevels, Objects: identity.Objects}
	for _, u := range users {
		d.Users = append(d.Users, newUserRow(u))
	}
	return c.show(v, http.StatusOK, "users", "Users", "users", d)
}

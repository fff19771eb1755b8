package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/identity"
)

// userEditPage is the change-permissions form.
type userEditPage struct {
	Row                   userRow
	Roles, Levels, Object []string
}

// userEdit shows the user's role, object levels and integrations.manage
// as a form whose button previews the change before anything is saved.
func (c *Console) userEdit(v *visit) error {
	u, err := c.pathUser(v)
	if err != nil {
		return err
	}
	if err := v.mayUpdate(u, u); err != nil {
		return err
	}
	if u.Status == identity.StatusRemoved {
		return identity.ErrUserRemoved
	}
	return c.show(v, http.StatusOK, "user_edit", "Change "+u.Email, "users",
		userEditPage{Row: newUserRow(u), Roles: userRoles, Levels: accessLevels, Object: identity.Objects})
}

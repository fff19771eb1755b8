package web

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/hubsync/hubsync/internal/identity"
)

// userReactivate restores a deactivated user, as the API's reactivate
// does; the connections they run come back as their state allows.
func (c *Console) userReactivate(v *visit) error {
	u, err := c.pathUser(v)
	if err != nil {
		return err
	}
	if u.Status == identity.StatusRemoved {
		return fmt.Errorf("%w: %s has been removed, for good", identity.ErrInvalid, u.Email)
	}
	back := u
	back.Status = identity.StatusActive
	if err := v.mayUpdate(u, back); err != nil {
		return err
	}
	ref := strconv.FormatInt(u.ID, 10)
	if u, err = c.Identity.Reactivate(v.r.Context(), ref); err != nil {
		return err
	}
	return v.redirect("/users/" + ref + "?notice=" + url.QueryEscape(u.Email+" is active again."))
}

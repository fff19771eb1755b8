package web

import (
	"net/url"
	"strconv"

	"github.com/hubsync/hubsync/internal/store"
)

// userCreate adds a user from the form on the users page.
func (c *Console) userCreate(v *visit) error {
	f := readUserForm(v.r)
	if err := v.mayUpdate(store.User{}, store.User{Role: f.Role}); err != nil {
		return err
	}
	u, err := c.Identity.CreateUser(v.r.Context(), f.newUser())
	if err != nil {
		return err
	}
	return v.redirect("/users/" + strconv.FormatInt(u.ID, 10) + "?notice=" + url.QueryEscape("Added "+u.Email+"."))
}

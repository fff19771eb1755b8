package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// userCreate adds a user from the form on the users page.
func (c *Console) userCreate(v *visit) error {
	f := readUserForm(v.r)
	if err := v.mayUpdate(store.User{}, store.User{Role: f.Role}); err != nil {
		return err
	}
	u, err := c.Identity.CreateUser(v.r.Context(), f.newUser())
	if errors.Is(err, identity.ErrInvalid) || errors.Is(err, store.ErrAlreadyExists) {
		// The form again as typed (but the password), with why.
		f.Password = ""
		return c.showUsers(v, http.StatusBadRequest, userListData{Form: f, Error: asSentence(err)})
	}
	if err != nil {
		return err
	}
	return v.redirect("/users/" + strconv.FormatInt(u.ID, 10) + "?notice=" + url.QueryEscape("Added "+u.Email+"."))
}

package web

import (
	"fmt"
	"net/url"
	"strconv"
)

// userUpdate saves the change the preview page showed.
func (c *Console) userUpdate(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	ref := strconv.FormatInt(id, 10)
	f := readUserForm(v.r)
	p, err := c.Connections.PreviewUserChange(v.r.Context(), ref, f.changes())
	if err != nil {
		return err
	}
	if err := v.mayUpdate(p.User, p.Updated); err != nil {
		return err
	}
	u, err := c.Identity.UpdateUser(v.r.Context(), ref, f.changes())
	if err != nil {
		return err
	}
	notice := "Saved the permissions of " + u.Email + "."
	if n := len(p.Degraded); n > 0 {
		notice += fmt.Sprintf(" %d connection(s) changed status.", n)
	}
	return v.redirect("/users/" + ref + "?notice=" + url.QueryEscape(notice))
}

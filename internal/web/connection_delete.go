package web

import (
	"net/http"
	"strings"
)

// connectionDeleteForm asks to confirm a deletion by typing the
// connection's name.
func (c *Console) connectionDeleteForm(v *visit) error {
	p, err := c.connectionFor(v, "status")
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "connection_delete", "Delete "+p.Connection.Name, "connections", p)
}

// connectionDelete deletes the connection once its name was typed.
func (c *Console) connectionDelete(v *visit) error {
	p, err := c.connectionFor(v, "status")
	if err != nil {
		return err
	}
	if strings.TrimSpace(v.r.PostFormValue("name")) != p.Connection.Name {
		p.Problem = "Type the connection's name exactly as shown to delete it."
		return c.show(v, http.StatusBadRequest, "connection_delete", "Delete "+p.Connection.Name, "connections", p)
	}
	if err := c.Connections.Delete(v.r.Context(), v.actor(), p.Connection.ID); err != nil {
		return err
	}
	return v.redirect(connectionURL(p.Connection.ID, "", "Deleted: "+p.Connection.Name+" no longer syncs."))
}

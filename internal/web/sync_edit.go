package web

import "net/http"

// syncEdit shows an object sync's settings in a form.
func (c *Console) syncEdit(v *visit) error {
	conn, os, err := c.syncOfPath(v)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "sync_form", "Edit the "+os.HubObject+" sync · "+conn.Name, "connections",
		c.syncFormPage(v.r.Context(), conn, os, formOf(os)))
}

package web

import (
	"net/http"
	"net/url"

	"github.com/hubsync/hubsync/internal/store"
)

func (c *Console) pathPrivateApp(v *visit) (store.PrivateApp, error) {
	id, err := v.pathID("id")
	if err != nil {
		return store.PrivateApp{}, err
	}
	apps, err := c.PrivateApps.List(v.r.Context())
	if err != nil {
		return store.PrivateApp{}, err
	}
	for _, a := range apps {
		if a.ID == id {
			return a, nil
		}
	}
	return store.PrivateApp{}, store.ErrNotFound
}

// privateAppDeleteForm asks before deleting a private app.
func (c *Console) privateAppDeleteForm(v *visit) error {
	app, err := c.pathPrivateApp(v)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "app_delete", "Delete "+app.Name, "apps", app)
}

// privateAppDelete deletes a private app; its token stops working at once.
func (c *Console) privateAppDelete(v *visit) error {
	app, err := c.pathPrivateApp(v)
	if err != nil {
		return err
	}
	if err := c.PrivateApps.Delete(v.r.Context(), app.ID); err != nil {
		return err
	}
	return v.redirect("/apps?notice=" + url.QueryEscape("Deleted the private app "+app.Name+"; its token no longer works."))
}

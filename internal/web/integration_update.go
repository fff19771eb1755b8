package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/hubsync/hubsync/internal/connection"
)

// integrationUpdate saves the edit form as the API's update does: a
// setting emptied is removed, and the client secret changes only when a
// new one is typed.
func (c *Console) integrationUpdate(v *visit) error {
	in, err := c.pathIntegration(v)
	if err != nil {
		return err
	}
	given, err := c.readSettings(v.r, in.Provider)
	if err == nil {
		for k := range in.Config {
			if _, ok := given[k]; !ok {
				given[k] = "" // a line taken out of the other settings
			}
		}
		ch := connection.IntegrationChange{Settings: given, Secret: v.r.PostFormValue("client_secret")}
		updated, uerr := c.Connections.UpdateIntegration(v.r.Context(), v.actor(), strconv.FormatInt(in.ID, 10), ch)
		if uerr == nil {
			return v.redirect("/integrations/" + strconv.FormatInt(updated.ID, 10) + "?notice=" + url.QueryEscape("Saved "+updated.Name+"."))
		}
		err = uerr
	}
	if !integrationFormError(err) {
		return err
	}
	f := integrationFormOf(c, in)
	f.keepPosted(v.r)
	f.Error = asSentence(err)
	return c.show(v, http.StatusBadRequest, "integration", in.Name, "integrations", f)
}

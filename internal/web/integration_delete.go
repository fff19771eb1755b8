package web

import (
	"github.com/hubsync/hubsync/internal/connection"
	"net/http"
	"net/url"
	"strconv"
)

// integrationDeletePage confirms deleting an integration.
type integrationDeletePage struct {
	Row   integrationRow
	Error string
}

func (c *Console) integrationDeletePage(v *visit) (integrationDeletePage, error) {
	in, err := c.pathIntegration(v)
	if err != nil {
		return integrationDeletePage{}, err
	}
	p := integrationDeletePage{Row: integrationRow{Integration: in}}
	conns, err := c.Connections.List(v.r.Context())
	for _, cn := range conns {
		if connection.UsesIntegration(cn, in.ID) {
			p.Row.Connections++
		}
	}
	return p, err
}

// integrationDeleteForm asks before deleting an integration.
func (c *Console) integrationDeleteForm(v *visit) error {
	p, err := c.integrationDeletePage(v)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "integration_delete", "Delete "+p.Row.Integration.Name, "integrations", p)
}

// integrationDelete deletes an integration; the domain refuses while a
// connection uses it, and the page says so.
func (c *Console) integrationDelete(v *visit) error {
	p, err := c.integrationDeletePage(v)
	if err != nil {
		return err
	}
	in := p.Row.Integration
	err = c.Connections.DeleteIntegration(v.r.Context(), v.actor(), strconv.FormatInt(in.ID, 10))
	if integrationFormError(err) {
		p.Error = asSentence(err)
		return c.show(v, http.StatusConflict, "integration_delete", "Delete "+in.Name, "integrations", p)
	}
	if err != nil {
		return err
	}
	return v.redirect("/integrations?notice=" + url.QueryEscape("Deleted the integration "+in.Name+"."))
}

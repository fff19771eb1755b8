package web

import (
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/store"
)

// pathIntegration is the integration the route's {id} names.
func (c *Console) pathIntegration(v *visit) (store.Integration, error) {
	id, err := v.pathID("id")
	if err != nil {
		return store.Integration{}, err
	}
	return c.Connections.Integration(v.r.Context(), strconv.FormatInt(id, 10))
}

// integrationEdit shows an integration's client registration and settings,
// as a form for those who may manage integrations. The client secret is
// never shown, only whether there is one.
func (c *Console) integrationEdit(v *visit) error {
	in, err := c.pathIntegration(v)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "integration", in.Name, "integrations", integrationFormOf(c, in))
}

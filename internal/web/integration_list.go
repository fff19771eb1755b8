package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// integrationRow is an integration and how many live connections use it.
type integrationRow struct {
	Integration store.Integration
	Connections int
}

type integrationListData struct {
	Integrations []integrationRow
	// Managers are the users who may change integrations and connections.
	Managers []store.User
}

func (c *Console) integrationList(v *visit) error {
	ctx := v.r.Context()
	ins, err := c.Connections.Integrations(ctx)
	if err != nil {
		return err
	}
	conns, err := c.Connections.List(ctx)
	if err != nil {
		return err
	}
	users, err := c.Identity.Users(ctx)
	if err != nil {
		return err
	}
	var d integrationListData
	for _, in := range ins {
		row := integrationRow{Integration: in}
		for _, cn := range conns {
			if connection.UsesIntegration(cn, in.ID) {
				row.Connections++
			}
		}
		d.Integrations = append(d.Integrations, row)
	}
	for _, u := range users {
		if identity.CanManageIntegrations(u) {
			d.Managers = append(d.Managers, u)
		}
	}
	return c.show(v, http.StatusOK, "integrations", "Integrations", "integrations", d)
}

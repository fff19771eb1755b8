package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/connection"
)

// connectionTransferForm asks where to move the connection: to a user, or
// to app mode.
func (c *Console) connectionTransferForm(v *visit) error {
	p, err := c.connectionFor(v, "status")
	if err != nil {
		return err
	}
	if p.Users, err = c.activeUsers(v); err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "connection_transfer", "Transfer "+p.Connection.Name, "connections", p)
}

func (c *Console) connectionTransfer(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	if err := v.r.ParseForm(); err != nil {
		return err
	}
	f := v.r.PostForm
	to := connection.TransferTo{Owner: f.Get("to"), AppMode: f.Get("mode") == connection.ModeApp,
		Maintainer: f.Get("maintainer")}
	conn, err := c.Connections.Transfer(v.r.Context(), v.actor(), id, to)
	if err != nil {
		return err
	}
	notice := "Transferred: the connection now runs in " + conn.AuthMode + " mode"
	if sum, err := c.Connections.Summarize(v.r.Context(), id); err == nil && sum.Owner.Email != "" {
		notice += ", owned by " + sum.Owner.Email
	}
	return v.redirect(connectionURL(id, "", notice+"."))
}

package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// connectionReconnectForm asks whom to reconnect as.
func (c *Console) connectionReconnectForm(v *visit) error {
	p, err := c.connectionFor(v, "status")
	if err != nil {
		return err
	}
	if p.Users, err = c.activeUsers(v); err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "connection_reconnect", "Reconnect "+p.Connection.Name, "connections", p)
}

// connectionReconnect starts a reconnect, as the same user or the one
// chosen. An OAuth connection sends the browser on to the external app's
// consent page, which sends it back to the callback; one with a key is
// repaired at once.
func (c *Console) connectionReconnect(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	started, err := c.Connections.Reconnect(v.r.Context(), v.actor(), id,
		connection.Reconnection{Owner: v.r.PostFormValue("owner")})
	if err != nil {
		return err
	}
	if started.AuthorizeURL != "" {
		return v.redirect(started.AuthorizeURL)
	}
	return v.redirect(connectionURL(id, "", approvedAs(started.Connection)))
}

// activeUsers are the people a connection may be handed to.
func (c *Console) activeUsers(v *visit) ([]store.User, error) {
	all, err := c.Identity.Users(v.r.Context())
	var out []store.User
	for _, u := range all {
		if u.Status == identity.StatusActive {
			out = append(out, u)
		}
	}
	return out, err
}

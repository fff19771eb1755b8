package connection

import (
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Visible says whether u may see connection c: whoever may view
// integrations sees every connection, anyone else only those they own or
// maintain.
func Visible(u store.User, c store.Connection) bool {
	return identity.CanViewIntegrations(u) || u.ID != 0 && (c.OwnerID == u.ID || c.MaintainerID == u.ID)
}

package connection

import (
	"context"
	"errors"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// maintain settles who maintains c once its owner or authorization
// changed: given (a user id) when not 0, which must be an active user;
// otherwise the current maintainer while they are an active user; else
// the owner, if active, since whoever runs the connection now looks after
// it. So a person who left the hub does not stay its maintainer through
// reconnects and transfers.
func maintain(ctx context.Context, tx store.Tx, c *store.Connection, given int64) error {
	// A plain list, not a locking read: the connection row is locked
	// already, and users are locked before connections everywhere.
	users, err := tx.Users(ctx)
	if err != nil {
		return err
	}
	active := func(id int64) bool {
		for _, u := range users {
			if u.ID == id {
				return u.Status == identity.StatusActive
			}
		}
		return false
	}
	switch {
	case given != 0 && !active(given):
		return invalid("the new maintainer of connection %d has left the hub; name an active user", c.ID)
	case given != 0:
		c.MaintainerID = given
	case c.MaintainerID != 0 && active(c.MaintainerID):
	case c.OwnerID != 0 && active(c.OwnerID):
		c.MaintainerID = c.OwnerID
	}
	return nil
}

// mustBeActive refuses to let user id, who has left the hub, do what.
func mustBeActive(ctx context.Context, tx store.Tx, id int64, what string) error {
	u, err := tx.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("no user %d", id)
	}
	if err != nil {
		return err
	}
	if u.Status != identity.StatusActive {
		return invalid("%s is %s and cannot %s; name an active user", u.Email, u.Status, what)
	}
	return nil
}

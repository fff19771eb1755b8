package connection

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// Get reads one connection.
func (s *Service) Get(ctx context.Context, id int64) (store.Connection, error) {
	var c store.Connection
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.Connection(ctx, id)
		return err
	})
	return c, err
}

// List lists every connection, deleted ones included.
func (s *Service) List(ctx context.Context) ([]store.Connection, error) {
	var cs []store.Connection
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		cs, err = tx.Connections(ctx)
		return err
	})
	return cs, err
}

// Reconnection says how to repair a connection.
type Reconnection struct {
	// Owner is the user to run as from now on; default the current owner
	// (user mode) or the actor when the owner is gone.
	Owner string
	// Credential replaces a key or database URL; when empty the stored one
	// is checked again.
	Credential connector.Credential
}

// Reconnect gives a connection a fresh authorization, as the same or another
// user, keeping its id, links, cursors and mappings. OAuth connections
// return the URL the admin's browser must visit.
func (s *Service) Reconnect(ctx context.Context, a audit.Actor, id int64, r Reconnection) (Started, error) {
	var c, stored store.Connection
	var in store.Integration
	err := s.st.View(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		var err error
		if c, err = tx.Connection(ctx, id); err != nil {
			return err
		}
		stored = c
		if c.Status == StatusDisconnected {
			return invalid("connection %d was deleted; create a new one", id)
		}
		if in, err = tx.Integration(ctx, c.IntegrationID); err != nil {
			return err
		}
		if c.OwnerID, err = userRef(ctx, tx, r.Owner, c.OwnerID); err != nil {
			return err
		}
		return preflight(ctx, tx, c)
	})
	if err != nil {
		return Started{}, err
	}
	if in.AuthKind == AuthOAuth2 {
		url, err := s.begin(ctx, a, in, c, id)
		return Started{Connection: stored, AuthorizeURL: url}, err
	}
	cred := r.Credential
	if cred == (connector.Credential{}) {
		// A reconnect as another user may keep the key it has.
		if cred, err = s.unseal(c); err != nil {
			return Started{}, invalid("connection %d holds no key to reuse; give the new one", id)
		}
	}
	c, err = s.finishWithCredential(ctx, a, in, c, id, cred)
	return Started{Connection: c}, err
}

// TransferTo says where a transfer moves a connection.
type TransferTo struct {
	// Owner is the new owner, id or email: the connector user, or in app
	// mode the accountable person. Empty keeps the owner.
	Owner string
	// AppMode moves the connection to app mode; otherwise naming an Owner
	// moves it to user mode.
	AppMode bool
	// Maintainer is who looks after the connection from now on. Empty
	// keeps the maintainer, unless they left the hub: then the owner takes
	// over.
	Maintainer string
}

// Transfer moves a connection to another owner, to app mode, or to another
// maintainer. The new identity must pass the preflight. A connection held
// only because its old owner left comes back to active.
func (s *Service) Transfer(ctx context.Context, a audit.Actor, id int64, to TransferTo) (store.Connection, error) {
	var c store.Connection
	seen, _ := s.Get(ctx, id) // whose owner to lock; the transaction says what is wrong
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		if to.Owner == "" && seen.OwnerID != 0 {
			// The preflight reads the owner it keeps: lock them before
			// the connection, as users are everywhere.
			if _, err := tx.User(ctx, seen.OwnerID); err != nil {
				return err
			}
		}
		var err error
		c, err = s.transferTx(ctx, tx, a, id, to)
		return err
	})
	return c, err
}

func (s *Service) transferTx(ctx context.Context, tx store.Tx, a audit.Actor, id int64, to TransferTo) (store.Connection, error) {
	// Users are locked before connections everywhere (the identity hook
	// does so), so that two transactions cannot wait on each other.
	newOwner, err := userRef(ctx, tx, to.Owner, 0)
	if err != nil {
		return store.Connection{}, err
	}
	if to.AppMode && to.Owner != "" {
		// The preflight checks a connector user; the accountable owner of
		// an app-mode connection must be someone still at the hub too.
		if err := mustBeActive(ctx, tx, newOwner, "own connection "+strconv.FormatInt(id, 10)); err != nil {
			return store.Connection{}, err
		}
	}
	maintainer, err := userRef(ctx, tx, to.Maintainer, 0)
	if err != nil {
		return store.Connection{}, err
	}
	old, err := tx.Connection(ctx, id)
	if err != nil {
		return old, err
	}
	if old.Status == StatusDisconnected {
		return old, invalid("connection %d was deleted", id)
	}
	c := old
	switch {
	case to.AppMode:
		c.AuthMode = ModeApp
	case to.Owner != "":
		c.AuthMode = ModeUser
	case to.Maintainer == "":
		return old, invalid("name the user to transfer connection %d to or its new maintainer, or transfer it to app mode", id)
	}
	if to.Owner != "" {
		c.OwnerID = newOwner
	}
	if err := preflight(ctx, tx, c); err != nil {
		return old, err
	}
	if err := maintain(ctx, tx, &c, maintainer); err != nil {
		return old, err
	}
	c.UpdatedAt = s.clock()
	if err := audit.Record(ctx, tx, c.UpdatedAt, a, "connection.transfer", "connection", strconv.FormatInt(id, 10), fields(old), fields(c)); err != nil {
		return old, err
	}
	if err := bump(ctx, tx, &c); err != nil {
		return old, err
	}
	if hubSide(c.Reason) && (c.OwnerID != old.OwnerID || c.AuthMode != old.AuthMode) {
		// The identity whose trouble held the connection no longer runs it.
		return c, s.setStatus(ctx, tx, &c, a, "", "")
	}
	return c, tx.UpdateConnection(ctx, c)
}

// hubSide reports whether a reason comes from the hub's own identity, which
// a transfer to a healthy identity cures.
func hubSide(reason string) bool {
	switch reason {
	case ReasonUserRemoved, ReasonUserDeactivated, ReasonCredentialsChanged, ReasonPermissionsReduced:
		return true
	}
	return false
}

// Pause holds a connection until Resume; nothing syncs meanwhile and its
// cursors stay where they are.
func (s *Service) Pause(ctx context.Context, a audit.Actor, id int64) (store.Connection, error) {
	return s.change(ctx, a, id, "connection.pause", func(tx store.Tx, c *store.Connection) error {
		switch c.Status {
		case StatusPaused:
			return nil
		case StatusDisconnected:
			return invalid("connection %d was deleted", c.ID)
		case StatusNeedsReconnect:
			return invalid("connection %d needs reconnecting (%s); reconnect it instead", c.ID, c.Reason)
		}
		return s.setStatus(ctx, tx, c, a, ReasonPausedByUser, a.Label)
	})
}

// Resume ends a pause; the connection is then checked as usual. A
// connection held because of how its table is set up is checked at once,
// and resumes if the check passes.
func (s *Service) Resume(ctx context.Context, a audit.Actor, id int64) (store.Connection, error) {
	c, err := s.resume(ctx, a, id)
	if err == nil && c.Status == StatusNeedsReconnect && setupSide(c.Reason) {
		if _, err := s.Check(ctx, id); err != nil {
			return c, fmt.Errorf("connection.resume: %w", err)
		}
		return s.Get(ctx, id)
	}
	if err == nil && usable(c) == nil {
		s.tellRepaired(ctx, id, RepairedByResume)
	}
	return c, err
}

func (s *Service) resume(ctx context.Context, a audit.Actor, id int64) (store.Connection, error) {
	return s.change(ctx, a, id, "connection.resume", func(tx store.Tx, c *store.Connection) error {
		if c.Status == StatusNeedsReconnect && setupSide(c.Reason) {
			return nil // Resume checks it
		}
		if c.Status != StatusPaused {
			return invalid("connection %d is %s, not paused", c.ID, c.Status)
		}
		c.NextCheckAt = s.clock()
		if err := s.setStatus(ctx, tx, c, a, "", ""); err != nil {
			return err
		}
		return s.recheckIdentity(ctx, tx, c, a)
	})
}

// Delete disconnects a connection for good: its credential is wiped (and
// revoked on the external side when the provider can, retried until it
// is), its row stays for the audit trail.
func (s *Service) Delete(ctx context.Context, a audit.Actor, id int64) error {
	var revoke store.PendingRevoke
	_, err := s.change(ctx, a, id, "connection.delete", func(tx store.Tx, c *store.Connection) error {
		if c.Status == StatusDisconnected {
			return nil
		}
		r, err := s.resolve(ctx, tx, *c)
		if err != nil {
			return err
		}
		if cred, err := s.unseal(*c); err == nil {
			p := store.PendingRevoke{IntegrationID: c.IntegrationID, ConnectionID: c.ID, Cause: store.RevokeDeleted}
			if revoke, err = s.queueRevoke(ctx, tx, r.impl, p, cred, connector.Credential{}); err != nil {
				return err
			}
		}
		c.Credential, c.CredentialExpiresAt = nil, time.Time{}
		return s.setStatus(ctx, tx, c, a, ReasonDeletedByUser, a.Label)
	})
	if err == nil {
		s.revokeNow(ctx, a, revoke)
	}
	return err
}

// change runs fn on a locked connection after the governance check and
// records action in the audit log. The connection's owner, whose state fn
// may apply (resume does), is locked first: users are locked before
// connections everywhere, so a change of that user cannot wait for this
// transaction while it waits for them.
func (s *Service) change(ctx context.Context, a audit.Actor, id int64, action string, fn func(store.Tx, *store.Connection) error) (store.Connection, error) {
	var c store.Connection
	seen, _ := s.Get(ctx, id) // whose owner to lock; the transaction says what is wrong
	for {
		owner, moved := seen.OwnerID, false
		err := s.st.Update(ctx, func(tx store.Tx) error {
			if err := authorize(ctx, tx, a); err != nil {
				return err
			}
			if owner != 0 {
				if _, err := tx.User(ctx, owner); err != nil {
					return err
				}
			}
			old, err := tx.Connection(ctx, id)
			if err != nil {
				return err
			}
			if old.OwnerID != owner {
				seen, moved = old, true // transferred meanwhile: lock its new owner
				return nil
			}
			c = old
			if err := fn(tx, &c); err != nil {
				return err
			}
			return audit.Record(ctx, tx, s.clock(), a, action, "connection", strconv.FormatInt(id, 10), fields(old), fields(c))
		})
		if err != nil {
			return c, fmt.Errorf("%s: %w", action, err)
		}
		if !moved {
			return c, nil
		}
	}
}

package connection

import (
	"context"
	"strings"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// OnIdentityEvents is the identity hook: in the transaction that changes a
// user, it moves the user-mode connections they run to the status the
// change implies. App-mode connections do not depend on a person and are
// left alone.
func (s *Service) OnIdentityEvents(ctx context.Context, tx store.Tx, u store.User, events []store.IdentityEvent) error {
	if len(events) == 0 {
		return nil
	}
	credentialsChanged := false
	for _, e := range events {
		if e.Kind == identity.EventPasswordChanged {
			// The policy is one setting: read it once however many events.
			revoke, err := oauth.RevokeOnCredentialsChange(ctx, tx)
			if err != nil {
				return err
			}
			credentialsChanged = revoke
			break
		}
	}
	conns, err := tx.Connections(ctx)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.OwnerID != u.ID || c.AuthMode != ModeUser || c.Status == StatusDisconnected {
			continue
		}
		locked, err := tx.Connection(ctx, c.ID)
		if err != nil {
			return err
		}
		if credentialsChanged && u.Status == identity.StatusActive && !reconnectOnly(locked) {
			// Even a paused connection needs the reconnect: resuming it
			// cannot tell that the password changed meanwhile.
			if err := s.setStatus(ctx, tx, &locked, audit.System, ReasonCredentialsChanged, u.Email); err != nil {
				return err
			}
			continue
		}
		if locked.Status == StatusPaused {
			continue // Resume applies the user's state then
		}
		if err := s.applyIdentity(ctx, tx, &locked, u, audit.System); err != nil {
			return err
		}
	}
	return nil
}

// recheckIdentity applies the connector user's current state to c, for
// when a connection comes back from a pause.
func (s *Service) recheckIdentity(ctx context.Context, tx store.Tx, c *store.Connection, a audit.Actor) error {
	if c.AuthMode != ModeUser {
		return nil
	}
	u, err := tx.User(ctx, c.OwnerID)
	if err != nil {
		return err
	}
	return s.applyIdentity(ctx, tx, c, u, a)
}

// applyIdentity sets the status u's state implies for a user-mode c. A
// break found on the external side stays until a reconnect, and so does a
// credentials change: only a fresh authorization cures those.
func (s *Service) applyIdentity(ctx context.Context, tx store.Tx, c *store.Connection, u store.User, a audit.Actor) error {
	code, detail := hubVerdict(u, c.Objects)
	switch {
	case reconnectOnly(*c):
		return nil // a reconnect must come first; it checks the user too
	case code == "" && !hubSide(c.Reason):
		return nil
	}
	return s.setStatus(ctx, tx, c, a, code, detail)
}

// reconnectOnly reports whether a connection is held for a reason only a
// fresh authorization cures: an external refusal or a password change. A
// change of the connector user must not lift such a hold.
func reconnectOnly(c store.Connection) bool {
	return c.Status == StatusNeedsReconnect && (c.Reason == ReasonCredentialsChanged || !hubSide(c.Reason))
}

// hubVerdict is what the connector user's state means for a connection
// syncing objects: a reason code and its detail, or "" when all is well.
func hubVerdict(u store.User, objects []string) (code, detail string) {
	switch u.Status {
	case identity.StatusRemoved:
		return ReasonUserRemoved, u.Email
	case identity.StatusDeactivated:
		return ReasonUserDeactivated, u.Email
	}
	if missing := missingObjects(u, objects); len(missing) > 0 {
		return ReasonPermissionsReduced, strings.Join(missing, ", ")
	}
	return "", ""
}

package connection

import (
	"context"
	"errors"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// Some reasons are about how the external side is set up rather than about
// the credential, so a new credential is no cure. A table that is missing,
// or lacks a column or an index, is fixed on the database; a passing check
// with the stored credential shows it, without the database URL entered
// again. A mapping that names a field the external object lacks is fixed
// in the object sync; only a run can show that, since a check does not look
// at mappings.

// setupSide reports whether a reason is about how the external table is
// set up.
func setupSide(reason string) bool {
	switch reason {
	case ReasonTableMissing, ReasonColumnMissing, ReasonColumnUnsupported:
		return true
	}
	return false
}

// curedByCall reports whether a passing live call (a check, a refresh, a
// sync call) shows that what held c is over.
func curedByCall(c store.Connection) bool {
	switch c.Status {
	case StatusDegraded:
		return !hubSide(c.Reason) && c.Reason != connector.ReasonMappingInvalid
	case StatusNeedsReconnect:
		return setupSide(c.Reason)
	}
	return false
}

// checkCredential is the credential a check uses: a working one for a
// usable connection, and the stored one as it is for a connection held
// only because of how its table is set up (held is then true).
func (s *Service) checkCredential(ctx context.Context, id int64) (cred connector.Credential, held bool, err error) {
	cred, err = s.credential(ctx, id, false)
	if !errors.Is(err, ErrHeld) {
		return cred, false, err
	}
	c, stored, lerr := s.load(ctx, id)
	if lerr != nil || c.Status != StatusNeedsReconnect || !setupSide(c.Reason) {
		return cred, false, err
	}
	return stored, true, nil
}

// Look opens a session to read how the external side is set up (the fields
// of its objects), not to sync. Besides a usable connection, a paused one
// may be looked at, with its stored credential, since a pause holds only
// syncing; a connection held for a break may not, as its credential is
// not to be used until it is repaired.
func (s *Service) Look(ctx context.Context, id int64) (Session, error) {
	sess, err := s.Open(ctx, id)
	if !errors.Is(err, ErrHeld) {
		return sess, err
	}
	c, cred, lerr := s.load(ctx, id)
	if lerr != nil || c.Status != StatusPaused {
		return sess, err
	}
	return s.sessionWith(ctx, id, cred)
}

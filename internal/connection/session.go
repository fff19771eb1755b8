package connection

import (
	"context"
	"errors"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// Session is what the sync engine needs to work a connection: the
// connection, its connector and target, and a working credential.
type Session struct {
	Connection store.Connection
	Provider   string
	Connector  connector.Connector
	Target     connector.Target
	Credential connector.Credential
	// as is the identity the session started with, which its writes check.
	as runAs
}

// Open returns a session for a usable connection, refreshing its token
// first if it is about to expire; ErrHeld when the connection may not sync.
func (s *Service) Open(ctx context.Context, id int64) (Session, error) {
	cred, err := s.Credential(ctx, id)
	if err != nil {
		return Session{}, err
	}
	return s.sessionWith(ctx, id, cred)
}

func (s *Service) sessionWith(ctx context.Context, id int64, cred connector.Credential) (Session, error) {
	var sess Session
	err := s.st.View(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		if err := usable(c); err != nil {
			return err // broken since the credential was read
		}
		as, err := startAs(ctx, tx, c)
		if err != nil {
			return err
		}
		r, err := s.resolve(ctx, tx, c)
		sess = Session{Connection: c, Provider: r.in.Provider, Connector: r.impl, Target: r.target, Credential: cred, as: as}
		return err
	})
	return sess, err
}

// Renew replaces a session's credential after the external app refused it
// (a 401): it refreshes once, unless another caller already has.
func (s *Service) Renew(ctx context.Context, sess *Session) error {
	cred, err := s.refreshOnce(ctx, sess.Connection.ID, sess.Credential.AccessToken)
	if err != nil {
		return err
	}
	sess.Credential = cred
	return nil
}

// Report records what a sync call to the external app answered: a definite
// failure breaks the connection with its reason; a transient one counts
// toward showing it degraded; nil records a success.
func (s *Service) Report(ctx context.Context, id int64, callErr error) error {
	if errors.Is(callErr, context.Canceled) {
		return callErr
	}
	return s.outcome(ctx, id, nil, callErr)
}

// RanAt records that a sync run finished, successfully or not. A run that
// got through every object sync shows that their mappings work, which no
// check can: it clears mapping_invalid.
func (s *Service) RanAt(ctx context.Context, id int64, at time.Time, ok bool) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		c.LastRunAt = at
		if ok {
			c.LastSuccessAt = at
			if c.Status == StatusDegraded && c.Reason == connector.ReasonMappingInvalid {
				return s.setStatus(ctx, tx, &c, audit.System, "", "")
			}
		}
		return tx.UpdateConnection(ctx, c)
	})
}

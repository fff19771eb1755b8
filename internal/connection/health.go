package connection

import (
	"context"
	"errors"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// Check runs the provider's cheapest live call for connection id and
// records what it says. An access token refused with a 401 is refreshed
// once and checked again before the connection is called broken. Active and
// degraded connections are checked, and those held only because of how
// their table is set up, which a passing check repairs.
func (s *Service) Check(ctx context.Context, id int64) (connector.Identity, error) {
	cred, held, err := s.checkCredential(ctx, id)
	if err != nil {
		return connector.Identity{}, err
	}
	who, err := s.checkOnce(ctx, id, cred)
	if e := connector.AsError(err); err != nil && e.Definite && e.Reason == connector.ReasonTokenExpired && cred.RefreshToken != "" {
		if cred, err = s.refreshOnce(ctx, id, cred.AccessToken); err != nil {
			return who, err
		}
		who, err = s.checkOnce(ctx, id, cred)
	}
	if err != nil {
		return who, s.outcome(ctx, id, nil, err)
	}
	if err := s.checked(ctx, id, who); err != nil || !held {
		return who, err
	}
	s.tellRepaired(ctx, id, RepairedByCheck)
	return who, nil
}

func (s *Service) checkOnce(ctx context.Context, id int64, cred connector.Credential) (connector.Identity, error) {
	var r resolved
	err := s.st.View(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		r, err = s.resolve(ctx, tx, c)
		return err
	})
	if err != nil {
		return connector.Identity{}, err
	}
	return r.impl.Check(ctx, r.target, cred)
}

// checked records a passing check and the scopes it saw.
func (s *Service) checked(ctx context.Context, id int64, who connector.Identity) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		if len(who.Scopes) > 0 {
			c.Scopes = who.Scopes
		}
		c.LastCheckAt = s.clock()
		return s.succeeded(ctx, tx, &c, c.LastCheckAt)
	})
}

// Tick runs one round of upkeep: every active or degraded connection whose
// check is due, or whose token expires within RefreshAhead, is checked
// (refreshing it on the way), and due revokes of credentials the hub
// stopped using are tried again. A connection is claimed by moving its next
// check forward first, so replicas do not check it twice.
func (s *Service) Tick(ctx context.Context) error {
	conns, err := s.List(ctx)
	if err != nil {
		return err
	}
	now := s.clock()
	var errs []error
	for _, c := range conns {
		if usable(c) != nil || !s.due(c, now) {
			continue
		}
		claimed, err := s.claim(ctx, c.ID, now)
		if err != nil || !claimed {
			errs = append(errs, err)
			continue
		}
		if _, err := s.Check(ctx, c.ID); err != nil && !errors.Is(err, ErrHeld) {
			// Connector errors hold no secret; others (a vault or store
			// failure on this replica) must show as what they are.
			s.log.Warn("connection check failed", "connection", c.ID, "error", err.Error())
		}
	}
	errs = append(errs, s.retryRevokes(ctx))
	return errors.Join(errs...)
}

// due reports whether a connection needs a check now: its next check has
// come, or its token is about to expire, unless a failure asked to back off.
func (s *Service) due(c store.Connection, now time.Time) bool {
	if !now.Before(c.NextCheckAt) {
		return true
	}
	if c.TransientFailures > 0 {
		return false
	}
	return !c.CredentialExpiresAt.IsZero() && !now.Before(c.CredentialExpiresAt.Add(-s.tuning.RefreshAhead))
}

func (s *Service) claim(ctx context.Context, id int64, now time.Time) (bool, error) {
	claimed := false
	err := s.st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil || usable(c) != nil || !s.due(c, now) {
			return err
		}
		c.NextCheckAt = now.Add(s.tuning.CheckEvery)
		claimed = true
		return tx.UpdateConnection(ctx, c)
	})
	return claimed, err
}

package connection

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// MaySync reports whether c may sync now: a paused or held connection gets
// no run until a person acts, however many are asked for.
func MaySync(c store.Connection) bool { return usable(c) == nil }

// usable reports whether a connection may use its credential now.
func usable(c store.Connection) error {
	switch c.Status {
	case StatusActive, StatusDegraded:
		return nil
	}
	msg := c.ReasonMessage
	if msg == "" {
		msg = "it is " + c.Status
	}
	return fmt.Errorf("%w: connection %d is %s: %s", ErrHeld, c.ID, c.Status, msg)
}

// Credential returns a working credential for connection id. A token that
// expires within RefreshAhead is refreshed first, once per connection
// however many callers (and, on PostgreSQL, replicas) ask at the same time.
func (s *Service) Credential(ctx context.Context, id int64) (connector.Credential, error) {
	return s.credential(ctx, id, true)
}

// credential is Credential; use says whether the caller will use it for
// work. A health check does not make a connection "used", and it may retry
// a refresh inside a backoff: upkeep schedules checks by the backoff
// already, and a person's diagnose wants a fresh answer.
func (s *Service) credential(ctx context.Context, id int64, use bool) (connector.Credential, error) {
	c, cred, err := s.load(ctx, id)
	if err != nil {
		return cred, err
	}
	if err := usable(c); err != nil {
		return cred, err
	}
	if use {
		s.touch(ctx, c)
	}
	if !s.stale(cred, "") {
		return cred, nil
	}
	if use && c.TransientFailures > 0 && s.clock().Before(c.NextCheckAt) {
		// A refresh failed a moment ago: wait out the backoff instead of
		// hammering the external app, using the token while it lasts.
		if !cred.ExpiresAt.IsZero() && s.clock().Before(cred.ExpiresAt) {
			return cred, nil
		}
		return cred, connector.Transient(connector.ReasonUnreachable,
			"the last refresh failed ("+c.LastError+"); retrying at "+c.NextCheckAt.Format(time.RFC3339), nil)
	}
	return s.refreshOnce(ctx, id, "")
}

// refreshOnce collapses this process's concurrent refreshes of a connection
// into one; refresh collapses the replicas'. failed is an access token the
// external app refused, which is refreshed even if not yet expired.
func (s *Service) refreshOnce(ctx context.Context, id int64, failed string) (connector.Credential, error) {
	v, err, _ := s.flights.Do(strconv.FormatInt(id, 10)+"/"+failed, func() (any, error) {
		// The flight outlives its first caller: once the external app has
		// rotated the refresh token, the new one must be stored whatever
		// happens to that caller, or the next refresh would reuse the old
		// one and end the grant.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.tuning.RefreshLease)
		defer cancel()
		return s.refresh(ctx, id, failed)
	})
	cred, _ := v.(connector.Credential)
	return cred, err
}

func (s *Service) load(ctx context.Context, id int64) (store.Connection, connector.Credential, error) {
	var c store.Connection
	var cred connector.Credential
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if c, err = tx.Connection(ctx, id); err != nil {
			return err
		}
		if err := usable(c); err != nil && (c.Status == StatusDisconnected || len(c.Credential) == 0) {
			// Nothing to open (deleted, or awaiting consent): say why it is
			// held rather than that it holds no credential.
			return err
		}
		cred, err = s.unseal(c)
		return err
	})
	return c, cred, err
}

// touch notes when a connection was last used, at most once a minute per
// process however many callers use it at once.
func (s *Service) touch(ctx context.Context, c store.Connection) {
	now := s.clock()
	if now.Sub(c.LastUsedAt) < time.Minute {
		return
	}
	if last, ok := s.touched.Load(c.ID); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.touched.Store(c.ID, now)
	err := s.st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, c.ID)
		if err != nil {
			return err
		}
		c.LastUsedAt = now
		return tx.UpdateConnection(ctx, c)
	})
	if err != nil {
		s.log.Warn("could not note a connection's use", "connection", c.ID, "error", err)
	}
}

// stale reports whether cred must be refreshed before use.
func (s *Service) stale(cred connector.Credential, failed string) bool {
	if cred.RefreshToken == "" {
		return false
	}
	if failed != "" && cred.AccessToken == failed {
		return true
	}
	return !cred.ExpiresAt.IsZero() && !s.clock().Before(cred.ExpiresAt.Add(-s.tuning.RefreshAhead))
}

// refresh renews the credential of connection id unless another caller
// already did: it takes the connection's refresh lease in a short
// transaction that re-reads the stored credential, calls the external
// token endpoint outside any transaction, and stores the outcome. A caller
// that finds the lease taken waits and re-reads; a lease whose holder died
// ends after RefreshLease.
func (s *Service) refresh(ctx context.Context, id int64, failed string) (connector.Credential, error) {
	// lease names this attempt: only it may store what it fetched or end
	// the lease.
	lease := s.replica + "/" + randomHex(8)
	for {
		var cred connector.Credential
		var r resolved
		var done, wait bool
		err := s.st.Update(ctx, func(tx store.Tx) error {
			c, err := tx.Connection(ctx, id)
			if err != nil {
				return err
			}
			if err := usable(c); err != nil {
				return err
			}
			if cred, err = s.unseal(c); err != nil {
				return err
			}
			now := s.clock()
			switch {
			case !s.stale(cred, failed):
				done = true
				return nil
			case c.RefreshLeaseUntil.After(now):
				wait = true // another refresh, here or on another replica
				return nil
			}
			if r, err = s.resolve(ctx, tx, c); err != nil {
				return err
			}
			c.RefreshLeaseUntil, c.RefreshLeaseOwner = now.Add(s.tuning.RefreshLease), lease
			return tx.UpdateConnection(ctx, c)
		})
		switch {
		case err != nil:
			return cred, err
		case done:
			return cred, nil
		case wait:
			if err := sleep(ctx, 20*time.Millisecond); err != nil {
				return cred, err
			}
			continue
		}
		refresher, ok := r.impl.(connector.Refresher)
		if !ok {
			return cred, s.settle(ctx, id, lease, nil, connector.Definite(connector.ReasonTokenExpired, "the provider cannot refresh tokens"))
		}
		fresh, err := refresher.Refresh(ctx, r.target, cred)
		if err != nil {
			return cred, s.settle(ctx, id, lease, nil, err)
		}
		return fresh, s.settle(ctx, id, lease, &fresh, nil)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// outcome records the result of a live check on connection id and returns
// callErr. A definite failure breaks the connection with its reason; a
// transient one only counts, schedules a retry with backoff, and shows the
// connection as degraded after UnreachableAfter in a row.
func (s *Service) outcome(ctx context.Context, id int64, fresh *connector.Credential, callErr error) error {
	return s.settle(ctx, id, "", fresh, callErr)
}

// settle is outcome for a refresh holding lease: it ends the lease and
// stores the fresh credential, unless the lease was lost meanwhile (it ran
// out and another refresh took over, or a reconnect replaced the
// credential), in which case what this attempt learned is stale and is
// dropped.
func (s *Service) settle(ctx context.Context, id int64, lease string, fresh *connector.Credential, callErr error) error {
	ctx = context.WithoutCancel(ctx)
	err := s.st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		if lease != "" {
			if c.RefreshLeaseOwner != lease {
				s.log.Warn("a refresh finished after losing its lease; its result is dropped", "connection", id)
				return nil
			}
			c.RefreshLeaseUntil, c.RefreshLeaseOwner = time.Time{}, ""
		}
		now := s.clock()
		c.LastCheckAt = now
		if fresh != nil {
			if err := s.storeCredential(&c, *fresh); err != nil {
				return err
			}
		}
		if callErr == nil {
			return s.succeeded(ctx, tx, &c, now)
		}
		return s.failed(ctx, tx, &c, connector.AsError(callErr), now)
	})
	if err != nil {
		return errors.Join(callErr, err)
	}
	return callErr
}

func (s *Service) succeeded(ctx context.Context, tx store.Tx, c *store.Connection, now time.Time) error {
	c.LastSuccessAt, c.TransientFailures, c.NextCheckAt = now, 0, now.Add(s.tuning.CheckEvery)
	if curedByCall(*c) {
		return s.setStatus(ctx, tx, c, audit.System, "", "")
	}
	return tx.UpdateConnection(ctx, *c)
}

func (s *Service) failed(ctx context.Context, tx store.Tx, c *store.Connection, e *connector.Error, now time.Time) error {
	c.LastErrorAt, c.LastError = now, e.Reason+": "+e.Text()
	if e.Definite {
		c.TransientFailures = 0
		return s.setStatus(ctx, tx, c, audit.System, e.Reason, errorDetail(e))
	}
	c.TransientFailures++
	c.NextCheckAt = now.Add(s.backoff(c.TransientFailures, e.RetryAfter))
	if c.TransientFailures >= s.tuning.UnreachableAfter && c.Status == StatusActive {
		return s.setStatus(ctx, tx, c, audit.System, e.Reason, errorDetail(e))
	}
	return tx.UpdateConnection(ctx, *c)
}

// backoff is the wait before retry n: doubling from a second, capped, with
// jitter so replicas do not retry in step, and never shorter than what the
// external app asked for.
func (s *Service) backoff(n int, retryAfter time.Duration) time.Duration {
	d := time.Second << min(n-1, 20)
	d = min(d, s.tuning.MaxBackoff)
	d = d/2 + rand.N(d/2+1)
	return max(d, retryAfter)
}

package connection

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// A grant the hub stops using (a reconnect replaced it, its connection was
// deleted, or the connect it was issued to failed) is revoked on the external side where the provider can, once
// the change that replaced it has committed. Until the external app accepts
// the revoke, the credential waits sealed in the store: a failure or a
// restart loses nothing, upkeep retries it with backoff, and a failure is
// audited and shown by diagnose. A revoke never holds up the change itself.
const (
	// revokeClaim is how long a replica that took a revoke has to try it
	// before another may.
	revokeClaim = time.Minute
	// revokeFirstRetry doubles after each failure, up to revokeMaxBackoff.
	revokeFirstRetry = 30 * time.Second
	revokeMaxBackoff = time.Hour
	// revokeGiveUp is how long a revoke is retried before it is given up:
	// then the audit log says to revoke the grant on the external app by
	// hand.
	revokeGiveUp = 7 * 24 * time.Hour
	// revokeBatch bounds the revokes one upkeep round tries.
	revokeBatch = 20
)

// queueRevoke stores cred, which the hub stops using in favour of keep, to
// be revoked once tx commits; p names the integration, the connection (0
// for one never made) and the cause. It returns the pending revoke, or a
// zero one when there is nothing the provider can revoke: a key or
// password (the external admin deletes those), or the same grant kept.
func (s *Service) queueRevoke(ctx context.Context, tx store.Tx, k connector.Connector, p store.PendingRevoke, cred, keep connector.Credential) (store.PendingRevoke, error) {
	if _, ok := k.(connector.Revoker); !ok || cred.RefreshToken == "" || cred.RefreshToken == keep.RefreshToken {
		return store.PendingRevoke{}, nil
	}
	now := s.clock()
	// Claimed from the start: the caller tries it as soon as tx commits.
	p.NextAttemptAt, p.CreatedAt = now.Add(revokeClaim), now
	p, err := tx.CreatePendingRevoke(ctx, p)
	if err != nil {
		return store.PendingRevoke{}, err
	}
	if p.Credential, err = s.seal(cred, vault.RevokeAAD(p.ID)); err != nil {
		return store.PendingRevoke{}, err
	}
	return p, tx.UpdatePendingRevoke(ctx, p)
}

// discard revokes a grant the external app issued to a connect or
// reconnect that then failed, so that it does not stay live unused there.
func (s *Service) discard(ctx context.Context, a audit.Actor, k connector.Connector, in store.Integration, connID int64, cred connector.Credential) {
	var p store.PendingRevoke
	err := s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		p, err = s.queueRevoke(ctx, tx, k, store.PendingRevoke{IntegrationID: in.ID, ConnectionID: connID, Cause: store.RevokeUnused},
			cred, connector.Credential{})
		return err
	})
	if err != nil {
		s.log.Warn("an unused grant could not be queued for revocation", "integration", in.ID, "error", err)
		return
	}
	s.revokeNow(ctx, a, p)
}

// revokeNow makes the first attempt at pending revoke p (a zero one:
// none), queued by a change a has just committed. Its outcome is recorded,
// never returned: the change stands either way, and upkeep retries.
func (s *Service) revokeNow(ctx context.Context, a audit.Actor, p store.PendingRevoke) {
	if p.ID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeClaim/2)
	defer cancel()
	if err := s.attemptRevoke(ctx, a, p); err != nil {
		s.log.Warn("recording a revoke failed; upkeep retries it", "revoke", p.ID, "error", err)
	}
}

// retryRevokes tries the pending revokes that are due. Each is claimed by
// moving its next attempt forward first, so replicas do not try it twice.
func (s *Service) retryRevokes(ctx context.Context) error {
	now := s.clock()
	var due []store.PendingRevoke
	err := s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if due, err = tx.DuePendingRevokes(ctx, now, revokeBatch); err != nil {
			return err
		}
		for i := range due {
			due[i].NextAttemptAt = now.Add(revokeClaim)
			if err := tx.UpdatePendingRevoke(ctx, due[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range due {
		errs = append(errs, s.attemptRevoke(ctx, audit.System, p))
	}
	return errors.Join(errs...)
}

// attemptRevoke asks the external app once to revoke p's credential and
// records the outcome; it returns only a failure to record it.
func (s *Service) attemptRevoke(ctx context.Context, a audit.Actor, p store.PendingRevoke) error {
	var r resolved
	err := s.st.View(ctx, func(tx store.Tx) error {
		c := store.Connection{IntegrationID: p.IntegrationID}
		if p.ConnectionID != 0 {
			var err error
			if c, err = tx.Connection(ctx, p.ConnectionID); err != nil {
				return err
			}
		}
		var err error
		r, err = s.resolve(ctx, tx, c)
		return err
	})
	var cred connector.Credential
	if err == nil {
		cred, err = s.open(p.Credential, vault.RevokeAAD(p.ID))
	}
	if err == nil {
		if rv, ok := r.impl.(connector.Revoker); ok {
			err = rv.Revoke(ctx, r.target, cred)
		}
	}
	return s.settleRevoke(ctx, a, p, err)
}

// settleRevoke records the outcome of a revoke: done, it is deleted; failed,
// it is tried again after a backoff (the first failure is audited), or
// given up when it can never succeed or has failed for revokeGiveUp.
func (s *Service) settleRevoke(ctx context.Context, a audit.Actor, p store.PendingRevoke, callErr error) error {
	ctx = context.WithoutCancel(ctx)
	now := s.clock()
	kind, target := "connection", strconv.FormatInt(p.ConnectionID, 10)
	if p.ConnectionID == 0 {
		kind, target = "integration", strconv.FormatInt(p.IntegrationID, 10)
	}
	err := s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := tx.PendingRevoke(ctx, p.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // settled meanwhile by a replica whose claim had run out
		}
		if err != nil {
			return err
		}
		before := revokeFields(cur)
		if callErr == nil {
			if err := tx.DeletePendingRevoke(ctx, cur.ID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, now, a, "connection.revoke", kind, target, before,
				map[string]string{"result": "the external app revoked the credential the hub no longer uses"})
		}
		e := connector.AsError(callErr)
		cur.Attempts++
		cur.LastError = e.Reason + ": " + e.Message
		if errors.Is(callErr, store.ErrNotFound) || now.Sub(cur.CreatedAt) >= revokeGiveUp {
			if err := tx.DeletePendingRevoke(ctx, cur.ID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, now, a, "connection.revoke_abandoned", kind, target, before,
				map[string]string{"attempts": strconv.Itoa(cur.Attempts), "error": cur.LastError,
					"next_step": "revoke the hub's old grant on the external app by hand"})
		}
		cur.NextAttemptAt = now.Add(revokeBackoff(cur.Attempts, e.RetryAfter))
		if err := tx.UpdatePendingRevoke(ctx, cur); err != nil {
			return err
		}
		if cur.Attempts > 1 {
			return nil // the first failure is in the audit log already
		}
		return audit.Record(ctx, tx, now, a, "connection.revoke_failed", kind, target, before,
			map[string]string{"attempts": "1", "error": cur.LastError, "next_attempt": cur.NextAttemptAt.Format(time.RFC3339)})
	})
	if callErr != nil {
		s.log.Warn("revoking a credential the hub no longer uses failed", "connection", p.ConnectionID, "integration", p.IntegrationID,
			"attempt", p.Attempts+1, "reason", connector.AsError(callErr).Reason)
	}
	return err
}

// revokeBackoff is the wait after failure n: doubling from
// revokeFirstRetry up to revokeMaxBackoff, never shorter than what the
// external app asked for.
func revokeBackoff(n int, retryAfter time.Duration) time.Duration {
	return max(min(revokeFirstRetry<<min(n-1, 20), revokeMaxBackoff), retryAfter)
}

// revokeFields is what the audit log keeps of a pending revoke: never its
// credential.
func revokeFields(p store.PendingRevoke) map[string]string {
	return map[string]string{"revoke": strconv.FormatInt(p.ID, 10), "cause": p.Cause,
		"since": p.CreatedAt.Format(time.RFC3339)}
}

// revokeStep says whether credentials the hub stopped using still wait to
// be revoked on the external app.
func (s *Service) revokeStep(ctx context.Context, id int64) Step {
	st := Step{Name: "replaced_grants"}
	var pending []store.PendingRevoke
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		pending, err = tx.PendingRevokes(ctx, id)
		return err
	})
	switch {
	case err != nil:
		st.Verdict, st.Detail = Warn, "Not checked: "+err.Error()
	case len(pending) == 0:
		st.Verdict, st.Detail = Pass, "No grant the hub stopped using is waiting to be revoked on the external app."
	default:
		last := pending[len(pending)-1]
		st.Verdict = Warn
		st.Detail = fmt.Sprintf("%d grant(s) the hub stopped using are not revoked on the external app yet", len(pending))
		if last.LastError != "" {
			st.Detail += fmt.Sprintf(" (%d attempt(s); last: %s)", last.Attempts, last.LastError)
		}
		st.Detail += fmt.Sprintf("; the hub retries until %s.", last.CreatedAt.Add(revokeGiveUp).Format(time.RFC3339))
		st.Next = "If the external app stays unreachable, revoke the hub's old grants there by hand."
	}
	return st
}

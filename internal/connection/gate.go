package connection

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// A sync run may write only while its connection may still sync as the
// identity the run started with, under the settings it started with. Every
// change to either (a status change, a transfer, a reconnect, the connector
// user removed or their permissions cut, an object sync changed or removed)
// moves the connection's generation in the same transaction, so a run asks
// one narrow question before each write (has the generation moved?) and
// looks at why only when it has.

// ErrMoved is a write transaction that found the connection's generation
// moved since the run last checked: the run must ask MayWrite before it writes.
var ErrMoved = errors.New("the connection changed since the run last checked")

// StopError is a run whose writes stopped mid-way because its connection may
// no longer sync as the identity the run started with. It is ErrHeld: the
// reconnect, resume or permission change that cures it asks for a new run.
type StopError struct {
	Reason string // the reason code, when the connection's status has one
	Why    string // the sentence a person reads
}

func (e *StopError) Error() string { return "writes stopped: " + e.Why }

// stopFor is a stop for a reason code, in the catalog's words.
func stopFor(code, detail string) *StopError {
	_, sentence, _ := explain(code, detail)
	return &StopError{Reason: code, Why: sentence}
}

// Is makes a stop an ErrHeld for errors.Is.
func (e *StopError) Is(target error) bool { return target == ErrHeld }

// runAs is the identity a run started with.
type runAs struct {
	generation int64
	ownerID    int64
	mode       string
	epoch      int64 // the connector user's credentials epoch
	// blocked are the objects the connector user could not edit at the
	// start; the run leaves them alone.
	blocked []string
}

// Blocked says why the run must leave object alone, a *StopError, when
// its connector user could not edit it at the start (the connection shows
// it degraded); nil when the run may sync it.
func (sess *Session) Blocked(object string) error {
	if !slices.Contains(sess.as.blocked, object) {
		return nil
	}
	return stopFor(ReasonPermissionsReduced, object)
}

// Hold is the first statement of a run's hub write transaction: it holds
// the connection's generation until commit, so a break cannot commit in
// between, and gives ErrMoved when the generation moved since the run last
// checked (the transaction must then end and the run ask MayWrite).
func (s *Service) Hold(ctx context.Context, tx store.Tx, sess *Session) error {
	gen, err := tx.ConnectionGeneration(ctx, sess.Connection.ID)
	if err != nil {
		return err
	}
	if gen != sess.as.generation {
		return ErrMoved
	}
	return nil
}

// MayWrite tells whether a run may still write object: nil, or why not (a
// *StopError, or what settingsKept returned). It costs one narrow read
// unless the generation moved; then it looks at why, and settingsKept, the
// run's check that the settings it started with still stand, runs in the
// same read. External writes are checked with it just before they are sent.
func (s *Service) MayWrite(ctx context.Context, sess *Session, object string, settingsKept func(store.Tx) error) error {
	return s.st.View(ctx, func(tx store.Tx) error {
		gen, err := tx.ConnectionGeneration(ctx, sess.Connection.ID)
		if err != nil || gen == sess.as.generation {
			return err
		}
		return s.recheck(ctx, tx, sess, object, settingsKept)
	})
}

// recheck looks at why the generation moved; when the run may carry on it
// takes the new generation as checked.
func (s *Service) recheck(ctx context.Context, tx store.Tx, sess *Session, object string, settingsKept func(store.Tx) error) error {
	c, err := tx.Connection(ctx, sess.Connection.ID)
	if err != nil {
		return err
	}
	if err := usable(c); err != nil {
		return &StopError{Reason: c.Reason, Why: statusWords(c)}
	}
	if c.OwnerID != sess.as.ownerID || c.AuthMode != sess.as.mode {
		return &StopError{Why: fmt.Sprintf("connection %d now syncs as another identity (it was transferred or reconnected); the next run uses it", c.ID)}
	}
	if c.AuthMode == ModeUser {
		if err := s.userMayStill(ctx, tx, c.OwnerID, sess.as.epoch, object); err != nil {
			return err
		}
	}
	if err := settingsKept(tx); err != nil {
		return err
	}
	sess.as.generation = c.Generation
	return nil
}

// userMayStill checks the connector user a run started with: still active,
// still allowed to edit object, and not having changed their credentials
// under a policy that ends what they authorized.
func (s *Service) userMayStill(ctx context.Context, tx store.Tx, userID, epoch int64, object string) error {
	u, err := tx.User(ctx, userID)
	if err != nil {
		return err
	}
	if code, detail := hubVerdict(u, []string{object}); code != "" {
		return stopFor(code, detail)
	}
	if u.CredentialsEpoch == epoch {
		return nil
	}
	revoke, err := oauth.RevokeOnCredentialsChange(ctx, tx)
	if err != nil || !revoke {
		return err
	}
	return stopFor(ReasonCredentialsChanged, u.Email)
}

// statusWords is a held connection's status in a person's words.
func statusWords(c store.Connection) string {
	if c.ReasonMessage != "" {
		return c.ReasonMessage
	}
	return fmt.Sprintf("connection %d is %s", c.ID, c.Status)
}

// startAs reads the identity a run opened on c starts with.
func startAs(ctx context.Context, tx store.Tx, c store.Connection) (runAs, error) {
	as := runAs{generation: c.Generation, ownerID: c.OwnerID, mode: c.AuthMode}
	if c.AuthMode != ModeUser {
		return as, nil
	}
	u, err := tx.User(ctx, c.OwnerID)
	if err != nil {
		return as, fmt.Errorf("connector user: %w", err)
	}
	if u.Status != identity.StatusActive {
		// The identity hook holds such a connection in the same
		// transaction; a run that got here raced it.
		return as, stopFor(hubVerdict(u, nil))
	}
	as.epoch, as.blocked = u.CredentialsEpoch, missingObjects(u, c.Objects)
	return as, nil
}

// bump moves c's generation on in tx: whatever runs are under way check
// again before their next write.
func bump(ctx context.Context, tx store.Tx, c *store.Connection) error {
	gen, err := tx.BumpConnectionGeneration(ctx, c.ID)
	c.Generation = gen
	return err
}

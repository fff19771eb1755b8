package oauth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// PolicyRevokeOnCredentialsChange is the policy that ends a user's grants
// when their password or SSO changes; true unless set otherwise.
const PolicyRevokeOnCredentialsChange = "oauth.revoke_on_credentials_change"

// Reasons a grant stops working, as sentences that name the user.
const (
	reasonRevoked            = "revoked"
	reasonUserRemoved        = "user_removed"
	reasonUserDeactivated    = "user_deactivated"
	reasonCredentialsChanged = "credentials_changed"
)

// ErrGrantEnded is a grant that no longer works; its Reason says why.
type ErrGrantEnded struct {
	Code   string // user_removed, user_deactivated, credentials_changed, revoked
	Reason string
}

func (e *ErrGrantEnded) Error() string { return e.Reason }

// grantState says whether a grant works now for its user, and why not.
// needsPolicy is true when the user's credentials changed since consent
// and the policy decides.
func grantState(g store.Grant, u store.User) (ended *ErrGrantEnded, needsPolicy bool) {
	who := u.Email
	switch {
	case !g.RevokedAt.IsZero():
		return &ErrGrantEnded{Code: reasonRevoked, Reason: "the grant was revoked (" + g.RevokeReason + ")"}, false
	case u.Status == identity.StatusRemoved:
		return &ErrGrantEnded{Code: reasonUserRemoved, Reason: "the user who authorized this app, " + who + ", was removed from the hub; another user must reconnect it"}, false
	case u.Status == identity.StatusDeactivated:
		return &ErrGrantEnded{Code: reasonUserDeactivated, Reason: "the user who authorized this app, " + who + ", is deactivated; reactivate them or have another user reconnect it"}, false
	case u.CredentialsEpoch != g.CredentialsEpoch:
		return nil, true
	}
	return nil, false
}

// credentialsEnded is the ending of a grant whose user changed credentials.
func credentialsEnded(u store.User) *ErrGrantEnded {
	return &ErrGrantEnded{Code: reasonCredentialsChanged,
		Reason: "the user who authorized this app, " + u.Email + ", changed their password, which ends their app authorizations; reconnect the app"}
}

// RevokeOnCredentialsChange reads the policy inside a transaction; it is on
// unless set to false. It also decides whether a password change holds the
// user's user-mode connections.
func RevokeOnCredentialsChange(ctx context.Context, tx store.Tx) (bool, error) {
	v, err := tx.Meta(ctx, "policy."+PolicyRevokeOnCredentialsChange)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return strconv.ParseBool(v)
}

func knownPolicy(name string) error {
	if name != PolicyRevokeOnCredentialsChange {
		return fmt.Errorf("%w: unknown policy %q (known: %s)", ErrInvalid, name, PolicyRevokeOnCredentialsChange)
	}
	return nil
}

// SetPolicy sets a boolean policy.
func SetPolicy(ctx context.Context, st store.Store, name string, value bool) error {
	if err := knownPolicy(name); err != nil {
		return err
	}
	return st.Update(ctx, func(tx store.Tx) error {
		return tx.SetMeta(ctx, "policy."+name, strconv.FormatBool(value))
	})
}

// Policy reads a boolean policy.
func Policy(ctx context.Context, st store.Store, name string) (bool, error) {
	if err := knownPolicy(name); err != nil {
		return false, err
	}
	var v bool
	err := st.View(ctx, func(tx store.Tx) (err error) {
		v, err = RevokeOnCredentialsChange(ctx, tx)
		return err
	})
	return v, err
}

// settle applies the credentials policy to a grant whose user changed
// credentials since consent: the grant is revoked for good, or carried over
// to the new credentials so the question is not asked again.
func settle(ctx context.Context, tx store.Tx, g store.Grant, u store.User, now time.Time) (*ErrGrantEnded, error) {
	revoke, err := RevokeOnCredentialsChange(ctx, tx)
	if err != nil {
		return nil, err
	}
	if revoke {
		return credentialsEnded(u), revokeGrant(ctx, tx, g, "user changed credentials", now)
	}
	g.CredentialsEpoch = u.CredentialsEpoch
	return nil, tx.UpdateGrant(ctx, g)
}

// revokeGrant ends a grant and every token issued from it.
func revokeGrant(ctx context.Context, tx store.Tx, g store.Grant, reason string, now time.Time) error {
	if g.RevokedAt.IsZero() {
		g.RevokedAt, g.RevokeReason = now.UTC(), reason
		if err := tx.UpdateGrant(ctx, g); err != nil {
			return err
		}
	}
	return tx.DeactivateGrantTokens(ctx, g.ID)
}

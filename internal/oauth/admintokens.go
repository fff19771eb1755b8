package oauth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// AdminTokenPrefix starts every personal admin API token.
const AdminTokenPrefix = "adm-hs1-"

// ErrAdminTokenEnded is an admin token that exists but no longer works;
// the error wrapping it says why.
var ErrAdminTokenEnded = errors.New("the admin token no longer works")

// maxAdminTokens bounds how many tokens one user holds, so a script that
// makes one per run is noticed before the table grows without end.
const maxAdminTokens = 100

// AdminTokens manages users' personal tokens for the admin API. A script
// sends one instead of a password, so a call costs a keyed hash rather than
// a password hash. A token acts as its user with the user's role and
// permissions at the time of each call: it stops at once when the user is
// deactivated or removed, and when their password changes (as a browser
// session does: a token made with a leaked password must not outlive it).
type AdminTokens struct {
	store  store.Store
	hasher Hasher
	now    func() time.Time
}

// NewAdminTokens returns the admin token manager.
func NewAdminTokens(st store.Store, h Hasher) *AdminTokens {
	return &AdminTokens{store: st, hasher: h, now: time.Now}
}

// AdminTokenView is a token with its user, and whether it still works.
type AdminTokenView struct {
	store.AdminToken
	User   store.User
	Active bool
	Ended  string // why it no longer works
}

// Create makes a token for a user and returns it with the token itself,
// which is not stored and cannot be shown again.
func (s *AdminTokens) Create(ctx context.Context, a audit.Actor, userID int64, name string) (AdminTokenView, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return AdminTokenView{}, "", fmt.Errorf("%w: an admin token needs a name of 1 to 100 characters", ErrInvalid)
	}
	token := NewToken(AdminTokenPrefix)
	var v AdminTokenView
	err := s.store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if u.Status != identity.StatusActive {
			return fmt.Errorf("%w: %s is %s; only active users have admin tokens", ErrInvalid, u.Email, u.Status)
		}
		if mine, err := tx.AdminTokens(ctx, u.ID); err != nil {
			return err
		} else if len(mine) >= maxAdminTokens {
			return fmt.Errorf("%w: %s already has %d admin tokens; revoke unused ones first", ErrInvalid, u.Email, len(mine))
		}
		now := s.now().UTC()
		t, err := tx.CreateAdminToken(ctx, store.AdminToken{UserID: u.ID, Name: name, TokenHash: s.hasher.Hash(token),
			CredentialsEpoch: u.CredentialsEpoch, CreatedAt: now})
		if err != nil {
			return err
		}
		v = AdminTokenView{AdminToken: t, User: u, Active: true}
		return audit.Record(ctx, tx, now, a, "admin_token.create", "admin_token", strconv.FormatInt(t.ID, 10), nil, tokenFields(v))
	})
	return v, token, err
}

// List returns the tokens of a user, or of everyone when userID is zero.
func (s *AdminTokens) List(ctx context.Context, userID int64) ([]AdminTokenView, error) {
	var out []AdminTokenView
	err := s.store.View(ctx, func(tx store.Tx) error {
		tokens, err := tx.AdminTokens(ctx, userID)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			u, err := tx.User(ctx, t.UserID)
			if err != nil {
				return err
			}
			out = append(out, adminTokenView(t, u))
		}
		return nil
	})
	return out, err
}

// Revoke deletes a token; it stops working at once. With a user id, only
// that user's own token is found.
func (s *AdminTokens) Revoke(ctx context.Context, a audit.Actor, userID, id int64) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		t, err := tx.AdminToken(ctx, id)
		if err == nil && userID != 0 && t.UserID != userID {
			err = fmt.Errorf("admin token %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, t.UserID)
		if err != nil {
			return err
		}
		if err := tx.DeleteAdminToken(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.now(), a, "admin_token.revoke", "admin_token", strconv.FormatInt(id, 10),
			tokenFields(adminTokenView(t, u)), nil)
	})
}

// Authenticate returns the active user a token acts as. A token that does
// not exist fails with ErrInvalidToken; one that no longer works with
// ErrAdminTokenEnded, saying why.
func (s *AdminTokens) Authenticate(ctx context.Context, token string) (store.User, error) {
	if !strings.HasPrefix(token, AdminTokenPrefix) {
		return store.User{}, ErrInvalidToken
	}
	var v AdminTokenView
	err := s.store.View(ctx, func(tx store.Tx) error {
		t, err := tx.AdminTokenByHash(ctx, s.hasher.Hash(token))
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, t.UserID)
		v = adminTokenView(t, u)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, ErrInvalidToken
	case err != nil:
		return store.User{}, err
	case !v.Active:
		return store.User{}, fmt.Errorf("%w: %s", ErrAdminTokenEnded, v.Ended)
	}
	if now := s.now(); now.Sub(v.LastUsedAt) > lastUsedPrecision {
		s.touch(ctx, v.ID, now)
	}
	return v.User, nil
}

// touch records a use, best effort, as PrivateApps.touch does.
func (s *AdminTokens) touch(ctx context.Context, id int64, at time.Time) {
	_ = s.store.Update(ctx, func(tx store.Tx) error {
		t, err := tx.AdminToken(ctx, id)
		if err != nil {
			return err
		}
		t.LastUsedAt = at.UTC()
		return tx.UpdateAdminToken(ctx, t)
	})
}

func adminTokenView(t store.AdminToken, u store.User) AdminTokenView {
	v := AdminTokenView{AdminToken: t, User: u}
	switch {
	case u.Status != identity.StatusActive:
		v.Ended = "its user " + u.Email + " is " + u.Status
	case u.CredentialsEpoch != t.CredentialsEpoch:
		v.Ended = "its user " + u.Email + " changed their password after it was made; make a new one"
	default:
		v.Active = true
	}
	return v
}

// tokenFields are what the audit log keeps of a token: never the token.
func tokenFields(v AdminTokenView) map[string]string {
	return map[string]string{"name": v.Name, "user": v.User.Email}
}

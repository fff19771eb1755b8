// Package oauth owns how apps authenticate to the hub: token hashing, scopes,
// private app tokens and (later) the OAuth authorization server's grants.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Errors.
var (
	ErrInvalidScope = errors.New("invalid scope")
	ErrInvalidToken = errors.New("the access token is not valid")
	// ErrTokenExpired is a rotated private app token past its grace period.
	ErrTokenExpired = errors.New("the access token has expired")
	ErrInvalid      = errors.New("invalid")
)

// PrivateAppPrefix starts every private app token.
const PrivateAppPrefix = "pat-hs1-"

// lastUsedPrecision bounds how often a token's last use is written.
const lastUsedPrecision = time.Minute

// Principal is who an API request acts as and what it may do.
type Principal struct {
	Kind   string // "private_app" or "oauth"
	AppID  int64
	UserID int64 // the authorizing user; 0 for account-owned tokens
	// Scopes are what the token may do now: for OAuth, the granted scopes
	// the user's current permissions cover.
	Scopes []string
	// Granted are the scopes the user granted (OAuth only), so a refusal can
	// say whether the app or the user lacks something.
	Granted   []string
	UserEmail string
	GrantID   string
}

// HasScope reports whether the principal holds scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Source names the principal in the change feed.
func (p Principal) Source() string {
	return strings.ReplaceAll(p.Kind, "_", "-") + ":" + strconv.FormatInt(p.AppID, 10)
}

// PrivateApps manages account-owned tokens. Removing a user never affects
// them; rotating one or changing its scopes does.
type PrivateApps struct {
	store  store.Store
	hasher Hasher
	now    func() time.Time
}

// NewPrivateApps returns the private app manager.
func NewPrivateApps(st store.Store, h Hasher) *PrivateApps {
	return &PrivateApps{store: st, hasher: h, now: time.Now}
}

// Create makes a private app and returns it with its token, which is not
// stored and cannot be shown again.
func (s *PrivateApps) Create(ctx context.Context, name string, scopes []string, createdBy int64) (store.PrivateApp, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return store.PrivateApp{}, "", fmt.Errorf("%w: a private app needs a name", ErrInvalid)
	}
	scopes, err := ParseScopes(strings.Join(scopes, ","))
	if err != nil {
		return store.PrivateApp{}, "", err
	}
	token := NewToken(PrivateAppPrefix)
	now := s.now().UTC()
	app := store.PrivateApp{Name: name, Scopes: scopes, TokenHash: s.hasher.Hash(token),
		CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
	err = s.store.Update(ctx, func(tx store.Tx) (err error) {
		app, err = tx.CreatePrivateApp(ctx, app)
		return err
	})
	return app, token, err
}

// List returns every private app.
func (s *PrivateApps) List(ctx context.Context) ([]store.PrivateApp, error) {
	var apps []store.PrivateApp
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		apps, err = tx.PrivateApps(ctx)
		return err
	})
	return apps, err
}

// MadeBy lists the private apps a user created. They belong to the
// account, not to the user: they keep working after the user leaves.
func (s *PrivateApps) MadeBy(ctx context.Context, userID int64) ([]store.PrivateApp, error) {
	all, err := s.List(ctx)
	var out []store.PrivateApp
	for _, p := range all {
		if p.CreatedBy == userID && userID != 0 {
			out = append(out, p)
		}
	}
	return out, err
}

// Rotate issues a new token. The old one keeps working for grace (zero ends
// it at once) and is refused after.
func (s *PrivateApps) Rotate(ctx context.Context, id int64, grace time.Duration) (store.PrivateApp, string, error) {
	if grace < 0 {
		return store.PrivateApp{}, "", fmt.Errorf("%w: grace period cannot be negative", ErrInvalid)
	}
	token := NewToken(PrivateAppPrefix)
	var app store.PrivateApp
	err := s.store.Update(ctx, func(tx store.Tx) (err error) {
		if app, err = tx.PrivateApp(ctx, id); err != nil {
			return err
		}
		now := s.now().UTC()
		app.PreviousTokenHash, app.PreviousExpiresAt = nil, time.Time{}
		if grace > 0 {
			app.PreviousTokenHash, app.PreviousExpiresAt = app.TokenHash, now.Add(grace)
		}
		app.TokenHash, app.RotatedAt, app.UpdatedAt = s.hasher.Hash(token), now, now
		return tx.UpdatePrivateApp(ctx, app)
	})
	return app, token, err
}

// SetScopes replaces a private app's scopes; calls see the change at once.
func (s *PrivateApps) SetScopes(ctx context.Context, id int64, scopes []string) (store.PrivateApp, error) {
	scopes, err := ParseScopes(strings.Join(scopes, ","))
	if err != nil {
		return store.PrivateApp{}, err
	}
	var app store.PrivateApp
	err = s.store.Update(ctx, func(tx store.Tx) (err error) {
		if app, err = tx.PrivateApp(ctx, id); err != nil {
			return err
		}
		app.Scopes, app.UpdatedAt = scopes, s.now().UTC()
		return tx.UpdatePrivateApp(ctx, app)
	})
	return app, err
}

// Delete removes a private app; its tokens stop working at once.
func (s *PrivateApps) Delete(ctx context.Context, id int64) error {
	return s.store.Update(ctx, func(tx store.Tx) error { return tx.DeletePrivateApp(ctx, id) })
}

// Authenticate returns the principal a private app token acts as.
func (s *PrivateApps) Authenticate(ctx context.Context, token string) (Principal, error) {
	e, err := s.check(ctx, token, s.hasher.Hash(token))
	if err != nil {
		return Principal{}, err
	}
	if now := s.now(); now.Sub(e.lastUsed) > lastUsedPrecision {
		s.touch(ctx, e.principal.AppID, now)
	}
	return e.principal, nil
}

// check finds the private app whose token hashes to hash, and how long the
// answer holds: a token replaced by a rotation only until its grace ends.
func (s *PrivateApps) check(ctx context.Context, token string, hash []byte) (checked, error) {
	if !strings.HasPrefix(token, PrivateAppPrefix) {
		return checked{}, ErrInvalidToken
	}
	var app store.PrivateApp
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		app, err = tx.PrivateAppByTokenHash(ctx, hash)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return checked{}, ErrInvalidToken
	}
	if err != nil {
		return checked{}, err
	}
	e := checked{principal: Principal{Kind: "private_app", AppID: app.ID, Scopes: app.Scopes}, lastUsed: app.LastUsedAt}
	if !slices.Equal(app.TokenHash, hash) {
		if !s.now().Before(app.PreviousExpiresAt) {
			return checked{}, fmt.Errorf("%w: it was replaced by a rotation and its grace period ended at %s",
				ErrTokenExpired, app.PreviousExpiresAt.Format(time.RFC3339))
		}
		e.expires = app.PreviousExpiresAt
	}
	return e, nil
}

// touch records a use. It is best effort: a failure to note the time must
// not fail the call that used the token.
func (s *PrivateApps) touch(ctx context.Context, id int64, at time.Time) {
	_ = s.store.Update(ctx, func(tx store.Tx) error {
		app, err := tx.PrivateApp(ctx, id)
		if err != nil {
			return err
		}
		app.LastUsedAt = at.UTC()
		return tx.UpdatePrivateApp(ctx, app)
	})
}

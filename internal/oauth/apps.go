package oauth

import (
	"context"
	"crypto/hmac"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hubsync/hubsync/internal/store"
)

// Apps manages OAuth clients. Their secrets are random strings the hub
// makes, so they are stored as keyed hashes and compared in constant time:
// a slow password hash would cost every token request tens of milliseconds
// and protect nothing a 256-bit random secret does not already protect.
type Apps struct {
	store  store.Store
	hasher Hasher
	now    func() time.Time
}

// NewApps returns the app registry.
func NewApps(st store.Store, h Hasher) *Apps {
	return &Apps{store: st, hasher: h, now: time.Now}
}

// AppInput describes an app to register or the fields to change.
type AppInput struct {
	Name           string
	RedirectURIs   []string
	Scopes         []string
	OptionalScopes []string
	Public         bool
	// The refresh-token policy (see SettingRotation and the lifetimes); nil
	// keeps what the app has, and a new app starts with rotation only if it
	// is public and with no lifetimes.
	RefreshTokenRotation    *bool
	RefreshTokenIdleTTL     *time.Duration
	RefreshTokenAbsoluteTTL *time.Duration
}

// InputOf is the input that leaves an app as it is, for callers that
// change some of its fields.
func InputOf(a store.App) AppInput {
	return AppInput{Name: a.Name, RedirectURIs: a.RedirectURIs, Scopes: a.Scopes, OptionalScopes: a.OptionalScopes, Public: a.Public}
}

// applyPolicy sets the refresh-token policy the input names and checks
// the result.
func (in AppInput) applyPolicy(a *store.App) error {
	if in.RefreshTokenRotation != nil {
		a.RefreshTokenRotation = *in.RefreshTokenRotation
	}
	if in.RefreshTokenIdleTTL != nil {
		a.RefreshTokenIdleTTL = *in.RefreshTokenIdleTTL
	}
	if in.RefreshTokenAbsoluteTTL != nil {
		a.RefreshTokenAbsoluteTTL = *in.RefreshTokenAbsoluteTTL
	}
	return checkPolicy(*a)
}

func (in AppInput) check() error {
	if strings.TrimSpace(in.Name) == "" {
		return fmt.Errorf("%w: an app needs a name", ErrInvalid)
	}
	if len(in.RedirectURIs) == 0 {
		return fmt.Errorf("%w: an app needs at least one redirect URI", ErrInvalid)
	}
	for _, u := range in.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.Fragment != "" {
			return fmt.Errorf("%w: redirect URI %q must be an absolute http(s) URL without a fragment", ErrInvalid, u)
		}
	}
	if _, err := ParseScopes(strings.Join(in.Scopes, ",")); err != nil {
		return err
	}
	for _, s := range in.OptionalScopes {
		if !slices.Contains(Scopes, s) {
			return fmt.Errorf("%w: unknown optional scope %q", ErrInvalidScope, s)
		}
		if slices.Contains(in.Scopes, s) {
			return fmt.Errorf("%w: %s is both required and optional", ErrInvalidScope, s)
		}
	}
	return nil
}

// Create registers an app and returns its secret, shown this once (empty
// for public apps, which authenticate with PKCE alone).
func (a *Apps) Create(ctx context.Context, in AppInput, createdBy int64) (store.App, string, error) {
	if err := in.check(); err != nil {
		return store.App{}, "", err
	}
	now := a.now().UTC()
	app := store.App{ClientID: uuid.NewString(), Name: strings.TrimSpace(in.Name), RedirectURIs: in.RedirectURIs,
		Scopes: dedupe(in.Scopes), OptionalScopes: dedupe(in.OptionalScopes), Public: in.Public,
		CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now, RefreshTokenRotation: in.Public}
	if err := in.applyPolicy(&app); err != nil {
		return store.App{}, "", err
	}
	var secret string
	if !in.Public {
		secret = NewToken("")
		app.SecretHash = a.hasher.Hash(secret)
	}
	err := a.store.Update(ctx, func(tx store.Tx) (err error) {
		app, err = tx.CreateApp(ctx, app)
		return err
	})
	return app, secret, err
}

// Get finds an app by client id or numeric id.
func (a *Apps) Get(ctx context.Context, ref string) (store.App, error) {
	var app store.App
	err := a.store.View(ctx, func(tx store.Tx) (err error) {
		app, err = lookupApp(ctx, tx, ref)
		return err
	})
	return app, err
}

func lookupApp(ctx context.Context, tx store.Tx, ref string) (store.App, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return tx.App(ctx, id)
	}
	return tx.AppByClientID(ctx, ref)
}

// List returns every app.
func (a *Apps) List(ctx context.Context) ([]store.App, error) {
	var apps []store.App
	err := a.store.View(ctx, func(tx store.Tx) (err error) {
		apps, err = tx.Apps(ctx)
		return err
	})
	return apps, err
}

// Update replaces an app's name, redirect URIs and scopes, and the parts of
// its refresh-token policy the input names. Grants keep the scopes they
// were given; calls use what is both granted and still allowed. A changed
// policy applies to existing grants from their next refresh.
func (a *Apps) Update(ctx context.Context, ref string, in AppInput) (store.App, error) {
	if err := in.check(); err != nil {
		return store.App{}, err
	}
	var app store.App
	err := a.store.Update(ctx, func(tx store.Tx) (err error) {
		if app, err = lookupApp(ctx, tx, ref); err != nil {
			return err
		}
		app.Name, app.RedirectURIs = strings.TrimSpace(in.Name), in.RedirectURIs
		app.Scopes, app.OptionalScopes = dedupe(in.Scopes), dedupe(in.OptionalScopes)
		if err := in.applyPolicy(&app); err != nil {
			return err
		}
		app.UpdatedAt = a.now().UTC()
		return tx.UpdateApp(ctx, app)
	})
	return app, err
}

// RotateSecret gives a confidential app a new secret; the old one stops
// working at once.
func (a *Apps) RotateSecret(ctx context.Context, ref string) (store.App, string, error) {
	secret := NewToken("")
	var app store.App
	err := a.store.Update(ctx, func(tx store.Tx) (err error) {
		if app, err = lookupApp(ctx, tx, ref); err != nil {
			return err
		}
		if app.Public {
			return fmt.Errorf("%w: public app %s has no secret", ErrInvalid, app.ClientID)
		}
		now := a.now().UTC()
		app.SecretHash, app.SecretRotatedAt, app.UpdatedAt = a.hasher.Hash(secret), now, now
		return tx.UpdateApp(ctx, app)
	})
	return app, secret, err
}

// Delete removes an app and revokes every grant it holds.
func (a *Apps) Delete(ctx context.Context, ref string) error {
	return a.store.Update(ctx, func(tx store.Tx) error {
		app, err := lookupApp(ctx, tx, ref)
		if err != nil {
			return err
		}
		grants, err := tx.Grants(ctx, 0, app.ID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if err := revokeGrant(ctx, tx, g, "app deleted", a.now()); err != nil {
				return err
			}
		}
		return tx.DeleteApp(ctx, app.ID)
	})
}

// checkSecret compares a presented secret with the stored keyed hash.
func (a *Apps) checkSecret(app store.App, secret string) bool {
	return len(app.SecretHash) > 0 && hmac.Equal(app.SecretHash, a.hasher.Hash(secret))
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Authenticator resolves the bearer token of an API call: a private app
// token, or an OAuth access token checked live against its grant and user.
// It remembers the tokens that passed while the store's auth generation
// stays (see checkCache), so a call costs one primary-key read and a
// keyed hash rather than a join of four tables.
type Authenticator struct {
	private *PrivateApps
	server  *Server
	cache   *checkCache
}

// NewAuthenticator returns the API's token check.
func NewAuthenticator(p *PrivateApps, s *Server) *Authenticator {
	return &Authenticator{private: p, server: s, cache: newCheckCache()}
}

// Authenticate returns who a token acts as. OAuth tokens get the granted
// scopes the authorizing user may use right now; a token whose user was
// removed or deactivated fails with *ErrGrantEnded saying so.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, PrivateAppPrefix) && !strings.HasPrefix(token, tokenPrefixes[store.TokenAccess]) {
		return Principal{}, ErrInvalidToken // no read for what cannot be a token
	}
	// The generation is read before the token, never after: an answer is
	// then at least as new as the generation it is kept with.
	generation, err := a.private.store.AuthGeneration(ctx)
	if err != nil {
		return Principal{}, err
	}
	key := a.private.hasher.Sum(token)
	now := a.clock(token)()
	if e, ok := a.cache.get(key, generation, now); ok {
		a.noteUse(ctx, key, e, now)
		return e.principal, nil
	}
	var e checked
	if strings.HasPrefix(token, PrivateAppPrefix) {
		e, err = a.private.check(ctx, token, key[:])
	} else {
		e, err = a.server.checkAccess(ctx, token)
	}
	if err != nil {
		return Principal{}, err
	}
	e.generation = generation
	a.cache.put(key, e)
	a.noteUse(ctx, key, e, now)
	return e.principal, nil
}

// clock is the clock of the service that issued a kind of token.
func (a *Authenticator) clock(token string) func() time.Time {
	if strings.HasPrefix(token, PrivateAppPrefix) {
		return a.private.now
	}
	return a.server.now
}

// noteUse records a use at most once per lastUsedPrecision. The write
// changes nothing a check reads, so it leaves the generation alone.
func (a *Authenticator) noteUse(ctx context.Context, key [32]byte, e checked, now time.Time) {
	if now.Sub(e.lastUsed) <= lastUsedPrecision {
		return
	}
	if e.principal.Kind == "oauth" {
		a.server.touchGrant(ctx, e.principal.GrantID, now)
	} else {
		a.private.touch(ctx, e.principal.AppID, now)
	}
	a.cache.used(key, now)
}

// checkAccess checks an OAuth access token against its grant and user.
func (s *Server) checkAccess(ctx context.Context, token string) (checked, error) {
	it, ended, err := s.lookup(ctx, store.TokenAccess, token)
	switch {
	case errors.Is(err, errNoToken):
		return checked{}, ErrInvalidToken
	case errors.Is(err, errTokenExpired):
		return checked{}, fmt.Errorf("%w: it expired at %s; refresh it", ErrTokenExpired, it.token.ExpiresAt.Format(time.RFC3339))
	case err != nil:
		return checked{}, err
	case ended != nil:
		return checked{}, ended
	}
	p := Principal{Kind: "oauth", AppID: it.app.ID, UserID: it.user.ID, UserEmail: it.user.Email, GrantID: it.grant.ID,
		Scopes: effectiveScopes(it.grant.Scopes, it.user), Granted: it.grant.Scopes}
	return checked{principal: p, expires: it.token.ExpiresAt, lastUsed: it.grant.LastUsedAt}, nil
}

// touchGrant records a use, best effort.
func (s *Server) touchGrant(ctx context.Context, id string, at time.Time) {
	_ = s.store.Update(ctx, func(tx store.Tx) error {
		g, err := tx.Grant(ctx, id)
		if err != nil {
			return err
		}
		g.LastUsedAt = at.UTC()
		return tx.UpdateGrant(ctx, g)
	})
}

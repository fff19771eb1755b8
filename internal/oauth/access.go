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
type Authenticator struct {
	private *PrivateApps
	server  *Server
}

// NewAuthenticator returns the API's token check.
func NewAuthenticator(p *PrivateApps, s *Server) *Authenticator {
	return &Authenticator{private: p, server: s}
}

// Authenticate returns who a token acts as. OAuth tokens get the granted
// scopes the authorizing user may use right now; a token whose user was
// removed or deactivated fails with *ErrGrantEnded saying so.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Principal, error) {
	if strings.HasPrefix(token, PrivateAppPrefix) {
		return a.private.Authenticate(ctx, token)
	}
	it, ended, err := a.server.lookup(ctx, store.TokenAccess, token)
	switch {
	case errors.Is(err, errNoToken):
		return Principal{}, ErrInvalidToken
	case errors.Is(err, errTokenExpired):
		return Principal{}, fmt.Errorf("%w: it expired at %s; refresh it", ErrTokenExpired, it.token.ExpiresAt.Format(time.RFC3339))
	case err != nil:
		return Principal{}, err
	case ended != nil:
		return Principal{}, ended
	}
	if a.server.now().Sub(it.grant.LastUsedAt) > lastUsedPrecision {
		a.server.touchGrant(ctx, it.grant.ID, a.server.now())
	}
	return Principal{Kind: "oauth", AppID: it.app.ID, UserID: it.user.ID, UserEmail: it.user.Email, GrantID: it.grant.ID,
		Scopes: effectiveScopes(it.grant.Scopes, it.user), Granted: it.grant.Scopes}, nil
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

package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/ory/fosite"

	"github.com/hubsync/hubsync/internal/store"
)

// tokenPrefixes are what fosite puts in front of each kind of token.
var tokenPrefixes = map[string]string{store.TokenAccess: "ory_at_", store.TokenRefresh: "ory_rt_", store.TokenCode: "ory_ac_"}

// issued is a live token with its grant, user and app.
type issued struct {
	token store.Token
	grant store.Grant
	user  store.User
	app   store.App
}

// errNoToken is a token that does not exist, was forged or is inactive;
// errTokenExpired one that lived its time.
var (
	errNoToken      = errors.New("no such token")
	errTokenExpired = errors.New("token expired")
)

// lookup finds a live token of a kind. A token whose grant has ended is
// returned with the ending.
func (s *Server) lookup(ctx context.Context, kind, raw string) (issued, *ErrGrantEnded, error) {
	prefix := tokenPrefixes[kind]
	if !strings.HasPrefix(raw, prefix) || s.enigma.Validate(ctx, strings.TrimPrefix(raw, prefix)) != nil {
		return issued{}, nil, errNoToken
	}
	var it issued
	var ended *ErrGrantEnded
	var needsPolicy bool
	err := s.store.View(ctx, func(tx store.Tx) error {
		tg, err := tx.TokenGrant(ctx, kind, s.enigma.Signature(strings.TrimPrefix(raw, prefix)))
		if err != nil {
			return err
		}
		it = issued{token: tg.Token, grant: tg.Grant, user: tg.User, app: tg.App}
		// A token of an ended grant says why it ended, even when it is no
		// longer active: "revoked because the user changed credentials"
		// helps more than "not valid".
		if ended, needsPolicy = grantState(it.grant, it.user); ended != nil {
			return nil
		}
		// Access tokens always expire. A refresh token lives until revoked
		// or until its app's lifetime policies end it: the policies as
		// they are now, not the end stamped on it at its last use, so that
		// its information, its introspection and the token endpoint agree
		// at once when an admin changes them.
		noEnd := it.token.ExpiresAt.IsZero()
		switch {
		case !it.token.Active || (noEnd && kind == store.TokenAccess):
			return errNoToken
		case kind == store.TokenRefresh:
			if refreshLapse(it.app, it.grant, s.now()) != "" {
				return errTokenExpired
			}
		case !noEnd && !s.now().Before(it.token.ExpiresAt):
			return errTokenExpired
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return it, nil, errNoToken
	}
	if err != nil || !needsPolicy || !it.token.Active {
		return it, ended, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) (err error) {
		ended, err = settle(ctx, tx, it.grant, it.user, s.now())
		return err
	})
	return it, ended, err
}

// gone reports whether a lookup found nothing an app may still ask about:
// no such token, an expired one, or a used one of an ended grant.
func gone(it issued, ended *ErrGrantEnded, err error) bool {
	return errors.Is(err, errNoToken) || errors.Is(err, errTokenExpired) || (ended != nil && !it.token.Active)
}

func (s *Server) internalError(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "error", err.Error())
	writeJSON(w, http.StatusInternalServerError, map[string]any{"status": "error", "message": "internal error", "correlationId": uuid.NewString()})
}

func (s *Server) notFound(w http.ResponseWriter, what string) {
	writeJSON(w, http.StatusNotFound, map[string]any{"status": "error", "category": "OBJECT_NOT_FOUND",
		"message": "The " + what + " does not exist, was revoked or has expired.", "correlationId": uuid.NewString()})
}

func (s *Server) info(w http.ResponseWriter, r *http.Request, kind string) (issued, bool) {
	it, ended, err := s.lookup(r.Context(), kind, r.PathValue("token"))
	switch {
	case gone(it, ended, err):
		s.notFound(w, kind+" token")
		return it, false
	case err != nil:
		s.internalError(w, "token information", err)
		return it, false
	case ended != nil:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"status": "error", "category": "INVALID_AUTHENTICATION",
			"message": "The " + kind + " token no longer works: " + ended.Reason + ".", "correlationId": uuid.NewString()})
		return it, false
	}
	return it, true
}

// accessTokenInfo answers GET /oauth/v1/access-tokens/{token} in HubSpot's shape.
func (s *Server) accessTokenInfo(w http.ResponseWriter, r *http.Request) {
	it, ok := s.info(w, r, store.TokenAccess)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token": r.PathValue("token"), "user": it.user.Email, "hub_domain": r.Host, "scopes": it.grant.Scopes,
		"hub_id": s.hub(r.Context()), "app_id": it.app.ID, "client_id": it.app.ClientID,
		"expires_in": int(it.token.ExpiresAt.Sub(s.now()).Seconds()), "user_id": it.user.ID, "token_type": "access"})
}

// refreshTokenInfo answers GET /oauth/v1/refresh-tokens/{token}.
func (s *Server) refreshTokenInfo(w http.ResponseWriter, r *http.Request) {
	it, ok := s.info(w, r, store.TokenRefresh)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token": r.PathValue("token"), "user": it.user.Email, "hub_domain": r.Host, "scopes": it.grant.Scopes,
		"hub_id": s.hub(r.Context()), "client_id": it.app.ClientID, "user_id": it.user.ID, "token_type": "refresh"})
}

// deleteRefreshToken answers DELETE /oauth/v1/refresh-tokens/{token}: the
// grant ends, with every token issued from it.
func (s *Server) deleteRefreshToken(w http.ResponseWriter, r *http.Request) {
	it, ended, err := s.lookup(r.Context(), store.TokenRefresh, r.PathValue("token"))
	if gone(it, ended, err) {
		s.notFound(w, "refresh token")
		return
	}
	if err == nil {
		err = s.store.Update(r.Context(), func(tx store.Tx) error {
			return revokeGrant(r.Context(), tx, it.grant, "refresh token deleted by the app", s.now())
		})
	}
	if err != nil {
		s.internalError(w, "delete refresh token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// introspect answers RFC 7662 introspection for an authenticated client,
// with the hub's live view: a token whose user was removed is inactive.
// A token issued to another client is inactive too (RFC 7662 §4): one app
// must not learn who uses another.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller, ok := s.client(w, r, false)
	if !ok {
		return
	}
	raw := r.PostForm.Get("token")
	kinds := []string{store.TokenAccess, store.TokenRefresh}
	if r.PostForm.Get("token_type_hint") == "refresh_token" {
		kinds = []string{store.TokenRefresh, store.TokenAccess}
	}
	for _, kind := range kinds {
		it, ended, err := s.lookup(ctx, kind, raw)
		if errors.Is(err, errNoToken) || errors.Is(err, errTokenExpired) {
			continue
		}
		if err != nil {
			s.tokenError(w, "", fosite.ErrServerError.WithWrap(err))
			return
		}
		if ended != nil || it.app.ID != caller.ID {
			break
		}
		body := map[string]any{"active": true, "scope": strings.Join(effectiveScopes(it.grant.Scopes, it.user), " "),
			"client_id": it.app.ClientID, "username": it.user.Email, "sub": strconv.FormatInt(it.user.ID, 10), "token_type": kind + "_token",
			"iat": it.token.CreatedAt.Unix(), "hub_id": s.hub(ctx), "user_id": it.user.ID}
		if !it.token.ExpiresAt.IsZero() {
			body["exp"] = it.token.ExpiresAt.Unix()
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": false})
}

// client authenticates the client calling introspection or revocation and
// returns its app, or answers the request itself: 429 when the client has
// used up its tries (the token endpoint's limit, so secrets cannot be
// guessed faster here than there), else the token endpoint's errors.
func (s *Server) client(w http.ResponseWriter, r *http.Request, allowPublic bool) (store.App, bool) {
	id, secret, err := clientCredentials(r)
	if err == nil && s.slowDown(w, id) {
		return store.App{}, false
	}
	var app store.App
	if err == nil {
		app, err = s.checkClient(r.Context(), id, secret, allowPublic)
	}
	if err != nil {
		s.tokenError(w, "", err)
		return app, false
	}
	return app, true
}

// clientCredentials reads the client id and secret of a request, in the
// body or as HTTP Basic.
func clientCredentials(r *http.Request) (id, secret string, err error) {
	if err := r.ParseForm(); err != nil {
		return "", "", fosite.ErrInvalidRequest.WithHint("The request body is not a valid form.")
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), nil
	}
	// RFC 6749 §2.3.1: Basic credentials are form-encoded first.
	var err1, err2 error
	id, err1 = url.QueryUnescape(id)
	secret, err2 = url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return "", "", fosite.ErrInvalidClient.WithHint("The client credentials are not properly encoded.")
	}
	return id, secret, nil
}

// checkClient returns the app whose credentials these are. A public app,
// which has no secret, passes with its client id where allowPublic says so.
func (s *Server) checkClient(ctx context.Context, id, secret string, allowPublic bool) (store.App, error) {
	app, err := s.apps.Get(ctx, id)
	if err != nil || id == "" {
		return store.App{}, fosite.ErrInvalidClient.WithHint("The OAuth 2.0 Client does not exist.")
	}
	if app.Public && allowPublic && secret == "" {
		return app, nil
	}
	if !s.apps.checkSecret(app, secret) {
		return store.App{}, fosite.ErrInvalidClient.WithHint("Client authentication failed: the client secret is wrong or the client is public.")
	}
	return app, nil
}

// revoke answers RFC 7009 revocation through fosite: revoking either token
// ends the grant, with every token issued from it.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.client(w, r, true); !ok {
		return
	}
	ctx := withRevokeReason(r.Context(), "revoked by the app")
	err := s.provider.NewRevocationRequest(ctx, r)
	s.provider.WriteRevocationResponse(ctx, w, err)
}

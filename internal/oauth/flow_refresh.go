package oauth

import (
	"context"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
)

// refreshHandler is fosite's refresh-token grant, with HubSpot's behaviour
// for apps whose refresh tokens do not rotate: the refresh token from the
// install keeps working until it is revoked, a refresh issues an access
// token only, and the answer repeats the refresh token the app sent. Apps
// that rotate get fosite's grant as it is: a new refresh token each time,
// and the reuse of an old one revokes the grant with every token in it.
type refreshHandler struct {
	*oauth2.RefreshTokenGrantHandler
	store *fositeStore
}

// refreshFactory composes the refresh-token grant in place of fosite's own.
func refreshFactory(fs *fositeStore) compose.Factory {
	return func(config fosite.Configurator, storage any, strategy any) any {
		inner := compose.OAuth2RefreshTokenGrantFactory(config, storage, strategy).(*oauth2.RefreshTokenGrantHandler)
		return &refreshHandler{RefreshTokenGrantHandler: inner, store: fs}
	}
}

// PopulateTokenEndpointResponse issues the tokens of a refresh that
// HandleTokenEndpointRequest (fosite's) has checked.
func (h *refreshHandler) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	c, ok := req.GetClient().(*client)
	if !h.CanHandleTokenEndpointRequest(ctx, req) || !ok || c.rotates {
		return h.RefreshTokenGrantHandler.PopulateTokenEndpointResponse(ctx, req, resp)
	}
	access, accessSig, err := h.AccessTokenStrategy.GenerateAccessToken(ctx, req)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	stored := req.Sanitize(nil)
	stored.SetID(req.GetID())
	refresh := req.GetRequestForm().Get("refresh_token")
	if err := h.store.refreshKept(ctx, accessSig, h.RefreshTokenStrategy.RefreshTokenSignature(ctx, refresh), stored); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	resp.SetAccessToken(access)
	resp.SetTokenType("bearer")
	resp.SetExpiresIn(time.Until(req.GetSession().GetExpiresAt(fosite.AccessToken)).Round(time.Second))
	resp.SetScopes(req.GetGrantedScopes())
	resp.SetExtra("refresh_token", refresh)
	return nil
}

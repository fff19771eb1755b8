package hubspot

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hubsync/hubsync/internal/connector"
)

const refreshTokensPath = "/oauth/v1/refresh-tokens/"

// CheckGrant asks the external app whether it still knows the refresh
// token, without using it. A 404, 400 or 401 is a definite
// external_consent_revoked: the grant is gone on that side. A private app
// has no grant; its token is proved by Check.
func (c *Connector) CheckGrant(ctx context.Context, t connector.Target, cred connector.Credential) error {
	a, err := c.refreshTokenCall(ctx, http.MethodGet, t, cred)
	if err != nil || a.status == 0 {
		return redact(err, cred.RefreshToken, cred.AccessToken)
	}
	switch a.status {
	case http.StatusOK:
		return nil
	case http.StatusNotFound, http.StatusBadRequest, http.StatusUnauthorized:
		if a.isJSON { // a proxy's HTML 404 says nothing about the grant
			return redact(&connector.Error{Reason: connector.ReasonConsentRevoked, Definite: true, Err: a.cause(),
				Message: "the external app no longer knows the hub's grant", Said: a.said()}, cred.RefreshToken, cred.AccessToken)
		}
	}
	if e := a.common(); e != nil {
		return redact(e, cred.RefreshToken, cred.AccessToken)
	}
	return redact(a.unexpected("a refresh token information request"), cred.RefreshToken, cred.AccessToken)
}

// Revoke ends a grant the hub stops using: a grant the external app no
// longer knows (404, 400, 401 in its JSON) is as good as revoked, while
// the same statuses from a proxy's HTML page say nothing about the grant
// and are tried again. A private app token cannot be revoked by API; its
// owner deletes it.
func (c *Connector) Revoke(ctx context.Context, t connector.Target, cred connector.Credential) error {
	a, err := c.refreshTokenCall(ctx, http.MethodDelete, t, cred)
	if err != nil || a.status == 0 {
		return redact(err, cred.RefreshToken, cred.AccessToken)
	}
	switch a.status {
	case http.StatusOK, http.StatusNoContent:
		return nil
	case http.StatusNotFound, http.StatusBadRequest, http.StatusUnauthorized:
		if a.isJSON {
			return nil
		}
	}
	if e := a.common(); e != nil {
		return redact(e, cred.RefreshToken, cred.AccessToken)
	}
	return redact(a.unexpected("a refresh token deletion"), cred.RefreshToken, cred.AccessToken)
}

// refreshTokenCall calls {api}/oauth/v1/refresh-tokens/{refresh}. It
// returns a zero answer and no error when there is nothing to call: a
// private app, or no refresh token to ask about (CheckGrant then fails).
func (c *Connector) refreshTokenCall(ctx context.Context, method string, t connector.Target, cred connector.Credential) (answer, error) {
	kind, err := authKind(t)
	if err != nil || kind == AuthPrivateApp {
		return answer{}, err
	}
	if cred.RefreshToken == "" {
		if method == http.MethodDelete {
			return answer{}, nil
		}
		return answer{}, connector.Definite(connector.ReasonTokenExpired, "the connection has no refresh token; reconnect it")
	}
	api, err := apiURL(t)
	if err != nil {
		return answer{}, err
	}
	return c.send(ctx, method, api+refreshTokensPath+url.PathEscape(cred.RefreshToken), api+refreshTokensPath+"[refresh token]", "")
}

package hubspot

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/connector"
)

// config is t's OAuth client. The client secret goes in the form body, as
// HubSpot expects; withAuthorize also requires the consent page URL.
func config(t connector.Target, redirectURL string, withAuthorize bool) (*oauth2.Config, error) {
	if kind, err := authKind(t); err != nil {
		return nil, err
	} else if kind != AuthOAuth2 {
		return nil, &connector.Error{Reason: connector.ReasonAppConfig, Definite: true,
			Message: "a private app connection has no OAuth flow; enter its token instead"}
	}
	clientID, err := setting(t, SettingClientID)
	if err != nil {
		return nil, err
	}
	tokenURL, err := setting(t, SettingTokenURL)
	if err != nil {
		return nil, err
	}
	conf := &oauth2.Config{ClientID: clientID, ClientSecret: t.Secret, RedirectURL: redirectURL,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	if withAuthorize {
		if conf.Endpoint.AuthURL, err = setting(t, SettingAuthorizeURL); err != nil {
			return nil, err
		}
		if conf.Scopes = strings.Fields(t.Settings[SettingScopes]); len(conf.Scopes) == 0 {
			_, err := setting(t, SettingScopes)
			return nil, err
		}
	}
	return conf, nil
}

// AuthCodeURL is the consent page URL with the required scopes, the
// optional ones (HubSpot's optional_scope) and a PKCE S256 challenge.
// hubsync (through fosite) refuses a state shorter than 8 characters.
func (c *Connector) AuthCodeURL(t connector.Target, state, verifier, redirectURL string) (string, error) {
	if state == "" || verifier == "" || redirectURL == "" {
		return "", errors.New("hubspot: AuthCodeURL needs a state, a PKCE verifier and a redirect URL")
	}
	conf, err := config(t, redirectURL, true)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if optional := strings.Fields(t.Settings[SettingOptionalScopes]); len(optional) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("optional_scope", strings.Join(optional, " ")))
	}
	return conf.AuthCodeURL(state, opts...), nil
}

// Exchange trades an authorization code and its PKCE verifier for a
// credential.
func (c *Connector) Exchange(ctx context.Context, t connector.Target, code, verifier, redirectURL string) (connector.Credential, error) {
	conf, err := config(t, redirectURL, false)
	if err != nil {
		return connector.Credential{}, err
	}
	tok, err := conf.Exchange(c.context(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return connector.Credential{}, redact(tokenError(err, conf.Endpoint.TokenURL, "the authorization code"), code, verifier, t.Secret)
	}
	return connector.Credential{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.Expiry}, nil
}

// Refresh renews the access token. HubSpot keeps its refresh token; a
// server that rotates it (hubsync does) returns the next one, and the old
// one must not be used again. A definite error means the grant is gone:
// external_consent_revoked when the external side says it was revoked (or
// its user removed, deactivated or changed password), external_token_expired
// when it only calls the refresh token unknown or expired, app_config_changed
// when the client credentials are refused.
func (c *Connector) Refresh(ctx context.Context, t connector.Target, cred connector.Credential) (connector.Credential, error) {
	if kind, err := authKind(t); err != nil {
		return cred, err
	} else if kind == AuthPrivateApp {
		return cred, nil // a private app token does not expire
	}
	if cred.RefreshToken == "" {
		return cred, connector.Definite(connector.ReasonTokenExpired, "the connection has no refresh token; reconnect it")
	}
	conf, err := config(t, "", false)
	if err != nil {
		return cred, err
	}
	tok, err := conf.TokenSource(c.context(ctx), &oauth2.Token{RefreshToken: cred.RefreshToken}).Token()
	if err != nil {
		return cred, redact(tokenError(err, conf.Endpoint.TokenURL, "the refresh token"), cred.RefreshToken, cred.AccessToken, t.Secret)
	}
	next := connector.Credential{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.Expiry}
	if next.RefreshToken == "" {
		next.RefreshToken = cred.RefreshToken
	}
	return next, nil
}

// context carries the connector's client to golang.org/x/oauth2.
func (c *Connector) context(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.client)
}

// tokenError classifies a failure of golang.org/x/oauth2 against the token
// endpoint at tokenURL.
func tokenError(err error, tokenURL, what string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return newAnswer(re.Response.StatusCode, re.Response.Header, re.Body).tokenFailure(what)
	}
	var ce *connector.Error
	if errors.As(err, &ce) {
		return ce
	}
	if strings.HasPrefix(err.Error(), "oauth2: ") {
		// A 2xx the library could not read: no JSON, or no access token.
		return connector.Transient(connector.ReasonUnreachable,
			"the token endpoint gave an answer the connector does not understand; check the token_url setting", err)
	}
	return unreachable(err, tokenURL)
}

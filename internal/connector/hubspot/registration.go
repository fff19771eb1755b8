package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/hubsync/hubsync/internal/connector"
)

// SettingIntrospectURL is the RFC 7662 token introspection endpoint; by
// default {api_url}/oauth/v3/token/introspect, where HubSpot and hubsync
// both serve it.
const SettingIntrospectURL = "introspect_url"

const introspectPath = "/oauth/v3/token/introspect"

// CheckRegistration proves the hub's app registration with token
// introspection, which the external app answers only to a client that
// authenticates with its id and secret, and which rotates nothing. A
// refused client is a definite app_config_changed (the secret was rotated,
// or the app deleted); a token the external app calls inactive for this
// client is a definite external_token_expired. A private app has no
// registration to prove.
func (c *Connector) CheckRegistration(ctx context.Context, t connector.Target, cred connector.Credential) error {
	kind, err := authKind(t)
	if err != nil || kind == AuthPrivateApp {
		return err
	}
	clientID, err := setting(t, SettingClientID)
	if err != nil {
		return err
	}
	endpoint, err := introspectURL(t)
	if err != nil {
		return err
	}
	token, hint := cred.AccessToken, "access_token"
	if token == "" {
		token, hint = cred.RefreshToken, "refresh_token"
	}
	if token == "" {
		return connector.Definite(connector.ReasonTokenExpired, "the connection has no token to introspect; reconnect it")
	}
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {clientID}, "client_secret": {t.Secret}}
	a, err := c.sendForm(ctx, endpoint, form)
	if err == nil {
		err = a.introspected()
	}
	return redact(err, cred.AccessToken, cred.RefreshToken, t.Secret)
}

// introspected reads an introspection answer.
func (a answer) introspected() error {
	if a.status != http.StatusOK {
		return a.tokenFailure("the access token")
	}
	var info struct {
		Active *bool `json:"active"`
	}
	if err := json.Unmarshal(a.body, &info); err != nil || !a.isJSON || info.Active == nil {
		return connector.Transient(connector.ReasonUnreachable,
			"the external app's token introspection is not in RFC 7662's shape; check the introspect_url setting", nil)
	}
	if !*info.Active {
		return connector.Definite(connector.ReasonTokenExpired,
			"the external app's token introspection calls the connection's token inactive for this app registration")
	}
	return nil
}

// introspectURL is the introspection endpoint of t.
func introspectURL(t connector.Target) (string, error) {
	if v := t.Settings[SettingIntrospectURL]; v != "" {
		return v, nil
	}
	api, err := apiURL(t)
	return api + introspectPath, err
}

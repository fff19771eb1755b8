// Package hubspot is the connector of the `hubspot` provider: it reaches any
// HubSpot-compatible API, real HubSpot or another hubsync instance, and owns
// how that side's answers become connector errors with reason codes. It
// authorizes (OAuth 2.0 code flow with PKCE, or a private app token),
// refreshes, checks and revokes, and reads and writes records (records.go,
// write.go); the sync engine decides what to read and write.
package hubspot

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
)

// Keys of Target.Settings.
const (
	// SettingAuthorizeURL is the consent page the admin's browser visits.
	SettingAuthorizeURL = "authorize_url"
	// SettingTokenURL is the OAuth token endpoint (code exchange, refresh).
	SettingTokenURL = "token_url"
	// SettingAPIURL is the API base: CRM objects and token information.
	SettingAPIURL = "api_url"
	// SettingClientID is the OAuth client id of the hub's app registration.
	SettingClientID = "client_id"
	// SettingScopes are the required scopes, space-separated.
	SettingScopes = "scopes"
	// SettingOptionalScopes are scopes the approving user may leave out,
	// space-separated.
	SettingOptionalScopes = "optional_scopes"
)

// Values of Target.AuthKind this connector accepts.
const (
	AuthOAuth2 = "oauth2"
	// AuthPrivateApp authenticates with Credential.APIKey, a private app
	// token that belongs to the external account and never expires.
	AuthPrivateApp = "private_app"
)

// DefaultTimeout bounds each call when New is given no client.
const DefaultTimeout = 15 * time.Second

// Connector talks to one HubSpot-compatible API per Target. It implements
// connector.Connector, Authorizer, Refresher, GrantChecker, Revoker,
// RegistrationChecker, Reader, Writer and FieldLister. It must not be copied.
type Connector struct {
	client *http.Client
	// waitClient is client without its timeout, for WaitForChanges, whose
	// call the other side holds for as long as it was asked to wait; a
	// deadline on its context bounds it instead.
	waitClient *http.Client

	schemaMu sync.Mutex
	schemas  map[schemaKey]*schemaEntry // see schema.go
}

var (
	_ connector.Connector    = (*Connector)(nil)
	_ connector.Authorizer   = (*Connector)(nil)
	_ connector.Refresher    = (*Connector)(nil)
	_ connector.GrantChecker = (*Connector)(nil)
	_ connector.Revoker      = (*Connector)(nil)
	_ connector.FieldLister  = (*Connector)(nil)

	_ connector.RegistrationChecker = (*Connector)(nil)
)

// New returns a connector that makes its calls with client; nil means a
// default client with a DefaultTimeout.
func New(client *http.Client) *Connector {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	wait := *client
	wait.Timeout = 0
	return &Connector{client: client, waitClient: &wait}
}

// Settings returns the endpoints of another hubsync instance at baseURL.
func Settings(baseURL string) map[string]string {
	base := strings.TrimRight(baseURL, "/")
	return map[string]string{
		SettingAuthorizeURL: base + "/oauth/authorize",
		SettingTokenURL:     base + "/oauth/v1/token",
		SettingAPIURL:       base,
	}
}

// DefaultSettings returns real HubSpot's public endpoints.
func DefaultSettings() map[string]string {
	return map[string]string{
		SettingAuthorizeURL: "https://app.hubspot.com/oauth/authorize",
		SettingTokenURL:     "https://api.hubapi.com/oauth/v1/token",
		SettingAPIURL:       "https://api.hubapi.com",
	}
}

// setting returns a required setting of t, or a definite app_config_changed
// error: a target that lacks one cannot work until its integration is
// configured, and retrying will not change that.
func setting(t connector.Target, key string) (string, error) {
	v := strings.TrimSpace(t.Settings[key])
	if v == "" {
		return "", &connector.Error{Reason: connector.ReasonAppConfig, Definite: true,
			Message: fmt.Sprintf("the hubspot integration has no %s setting; complete its configuration", key)}
	}
	return v, nil
}

// apiURL is the API base without a trailing slash.
func apiURL(t connector.Target) (string, error) {
	v, err := setting(t, SettingAPIURL)
	return strings.TrimRight(v, "/"), err
}

// authKind returns t's auth kind, oauth2 when unset.
func authKind(t connector.Target) (string, error) {
	switch t.AuthKind {
	case "", AuthOAuth2:
		return AuthOAuth2, nil
	case AuthPrivateApp:
		return AuthPrivateApp, nil
	}
	return "", &connector.Error{Reason: connector.ReasonAppConfig, Definite: true,
		Message: fmt.Sprintf("the hubspot connector does not support auth kind %q; use %s or %s", t.AuthKind, AuthOAuth2, AuthPrivateApp)}
}

// Package connector declares what the hub needs from an external app: a
// small base interface every connector implements, optional abilities found
// by type assertion (a connector that can refresh implements Refresher), the
// credential shapes, and the error that says whether a failure is definite.
// One subpackage per external app implements it; the registry maps a
// provider name to its connector.
package connector

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Credential is what a connection authenticates with. It is sealed at rest
// and never logged or returned by the API.
type Credential struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	// APIKey is an app-level key, e.g. a HubSpot private app token.
	APIKey string `json:"api_key,omitempty"`
	// URL is a database URL with its password.
	URL string `json:"url,omitempty"`
}

// Target is everything a connector needs to reach one external app,
// except the credential.
type Target struct {
	AuthKind string            // oauth2, private_app, password
	Settings map[string]string // the integration's public settings
	Secret   string            // the integration's client secret, unsealed
	Config   map[string]string // the connection's own settings
	Objects  []string          // hub objects the connection syncs
}

// Identity is what a live check learned about the external side.
type Identity struct {
	Account string   // external account (hub id, database name)
	User    string   // external user the credential acts as, if any
	Scopes  []string // what the external side granted
}

// Connector is the base every external app implements.
type Connector interface {
	// Check makes the cheapest live call that proves the credential works
	// and says what it may do. Failures are *Error.
	Check(ctx context.Context, t Target, c Credential) (Identity, error)
}

// Authorizer is a connector whose users approve the hub through an OAuth 2.0
// authorization code flow with PKCE.
type Authorizer interface {
	// AuthCodeURL is where the admin's browser goes to approve the hub.
	AuthCodeURL(t Target, state, verifier, redirectURL string) (string, error)
	// Exchange trades an authorization code for a credential.
	Exchange(ctx context.Context, t Target, code, verifier, redirectURL string) (Credential, error)
}

// Refresher is a connector whose access tokens expire and can be renewed.
type Refresher interface {
	Refresh(ctx context.Context, t Target, c Credential) (Credential, error)
}

// GrantChecker is a connector that can ask the external app whether it
// still lists the hub's grant.
type GrantChecker interface {
	CheckGrant(ctx context.Context, t Target, c Credential) error
}

// RegistrationChecker is a connector whose external app can prove the
// hub's app registration there (client id and secret) with a live call
// that changes nothing, as a refresh would.
type RegistrationChecker interface {
	CheckRegistration(ctx context.Context, t Target, c Credential) error
}

// Revoker is a connector that can end a grant the hub no longer uses: the
// one a deleted connection held, or the one a reconnect replaced. A grant
// the external app no longer knows counts as revoked.
type Revoker interface {
	Revoke(ctx context.Context, t Target, c Credential) error
}

// Registry maps provider names to connectors.
type Registry map[string]Connector

// Get returns the connector of a provider.
func (r Registry) Get(provider string) (Connector, error) {
	c, ok := r[provider]
	if !ok {
		return nil, fmt.Errorf("unknown provider %q; known: %v", provider, r.Names())
	}
	return c, nil
}

// Names lists the providers, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

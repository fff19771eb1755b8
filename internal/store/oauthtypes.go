package store

import "time"

// App is an OAuth client registered with the hub.
type App struct {
	ID             int64
	ClientID       string
	Name           string
	SecretHash     []byte // keyed hash; nil for public apps
	RedirectURIs   []string
	Scopes         []string
	OptionalScopes []string
	Public         bool
	CreatedBy      int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// SecretRotatedAt is when the secret last changed; zero if never.
	SecretRotatedAt time.Time
	// RefreshTokenRotation makes every refresh issue a new refresh token
	// and take the old one's reuse as theft; otherwise a grant keeps one
	// refresh token until it is revoked.
	RefreshTokenRotation bool
	// RefreshTokenIdleTTL ends a grant's refresh token after that long
	// unused, RefreshTokenAbsoluteTTL that long after consent; zero is no
	// limit. Both are kept to the second.
	RefreshTokenIdleTTL     time.Duration
	RefreshTokenAbsoluteTTL time.Duration
}

// Grant is one authorization of an app by a user: the family of every
// code, access and refresh token issued from one consent.
type Grant struct {
	ID     string
	AppID  int64
	UserID int64
	Scopes []string
	// CredentialsEpoch is the user's epoch at consent; a later password
	// change may end the grant, as policy says.
	CredentialsEpoch int64
	CreatedAt        time.Time
	LastUsedAt       time.Time
	// RefreshedAt is when the grant's refresh token was last used; zero if
	// never.
	RefreshedAt  time.Time
	RevokedAt    time.Time
	RevokeReason string
}

// Token kinds.
const (
	TokenCode    = "code"
	TokenAccess  = "access"
	TokenRefresh = "refresh"
	TokenPKCE    = "pkce"
)

// Token is an issued OAuth token, code or PKCE record, found by its keyed
// hash (Signature); the token itself is never stored.
type Token struct {
	Kind      string
	Signature string
	GrantID   string
	// AccessSignature links a refresh token to the access token issued with it.
	AccessSignature string
	Active          bool
	ExpiresAt       time.Time
	// Request is the serialised authorization request the token stands for,
	// without secrets.
	Request   []byte
	CreatedAt time.Time
}

// WebSession is a signed-in browser.
type WebSession struct {
	IDHash           []byte
	UserID           int64
	CSRF             string
	CredentialsEpoch int64
	CreatedAt        time.Time
	ExpiresAt        time.Time
}

// TokenGrant is a token with its grant, the authorizing user and the app,
// read together because every API call with an OAuth token needs all four.
// Only what that check needs is read: not the token's request, the user's
// name, dates and password hash, or the app's secret, URIs and scopes.
type TokenGrant struct {
	Token Token
	Grant Grant
	User  User
	App   App
}

package store

import "time"

// SignInCounter counts the failed sign-ins of one throttle key (an account
// or a client address) since the counter was last forgotten or cleared.
type SignInCounter struct {
	Key           string
	Failures      int
	LastFailureAt time.Time
	// LockedUntil is when the key may try again; zero when it may now.
	LockedUntil time.Time
}

// AdminToken is a user's personal token for the admin API. Only its keyed
// hash is stored; it acts as its user, with the user's current role.
type AdminToken struct {
	ID        int64
	UserID    int64
	Name      string
	TokenHash []byte
	// CredentialsEpoch is the user's epoch when the token was made; a later
	// password change may end the token, as policy says.
	CredentialsEpoch int64
	CreatedAt        time.Time
	LastUsedAt       time.Time
}

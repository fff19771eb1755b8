package connector

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Reason codes of DESIGN.md §4 that a connector can detect. The connection
// package adds the hub-side ones (connector_user_removed, …).
const (
	ReasonTokenExpired   = "external_token_expired"
	ReasonConsentRevoked = "external_consent_revoked"
	ReasonScopesMissing  = "external_scopes_missing"
	ReasonAPIKeyInvalid  = "api_key_invalid"
	ReasonAppConfig      = "app_config_changed"
	ReasonUnreachable    = "external_unreachable"
	ReasonRateLimited    = "rate_limited"
)

// ReasonRecordRejected is the reason of a WriteResult.Err for one record the
// external side refused (a bad value, a constraint); it is definite and
// never breaks the connection.
const ReasonRecordRejected = "record_rejected"

// Error is a failure talking to an external app. Definite errors are an
// answer from the external side that retrying will not change (a revoked
// grant, a rejected key); the others are transient.
type Error struct {
	Reason   string // one of the Reason codes
	Definite bool
	// Message says what happened in words a person can act on; it never
	// holds a secret.
	Message string
	// Detail names what is affected, e.g. "deals" or "INSERT on public.t".
	Detail string
	// Said is what the external app said in its own words, on one line,
	// if it said anything. It is kept apart from Message so that every
	// text quotes it once: Text here, the reason sentence of a connection.
	Said string
	// RetryAfter is the wait the external side asked for, if it did.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Reason, e.Text(), e.Err)
	}
	return e.Reason + ": " + e.Text()
}

// Text is the message followed by what the external app said, for a
// person: the connector's words and, once, the external app's.
func (e *Error) Text() string {
	if e.Said == "" {
		return e.Message
	}
	return e.Message + "; the external app said " + Quote(e.Said)
}

// Quote puts what an external app said in quotation marks, without the
// full stop that would end a sentence inside them.
func Quote(said string) string {
	return `"` + strings.TrimRight(strings.TrimSpace(said), ". ") + `"`
}

func (e *Error) Unwrap() error { return e.Err }

// Definite returns a definite error.
func Definite(reason, message string) *Error {
	return &Error{Reason: reason, Definite: true, Message: message}
}

// Transient returns a transient error caused by err.
func Transient(reason, message string, err error) *Error {
	return &Error{Reason: reason, Message: message, Err: err}
}

// AsError finds the *Error in err's chain; an error that is none is treated
// as a transient failure to reach the external app, since only a definite
// answer may break a connection.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Reason: ReasonUnreachable, Message: "the external app could not be reached", Err: err}
}

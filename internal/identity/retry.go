package identity

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// RetryError refuses a sign-in for now, saying when to try again.
type RetryError struct {
	Err   error     // ErrBusy or ErrSignInLocked
	At    time.Time // when to try again
	After time.Duration
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v; try again in %s", e.Err, e.After.Round(time.Second))
}

func (e *RetryError) Unwrap() error { return e.Err }

// Seconds is the wait in whole seconds, at least one, for Retry-After.
func (e *RetryError) Seconds() int { return max(int(math.Ceil(e.After.Seconds())), 1) }

// Sentence tells the person refused when they may try again.
func (e *RetryError) Sentence() string {
	if errors.Is(e.Err, ErrBusy) {
		return fmt.Sprintf("The hub is busy checking other sign-ins. Try again in %d second(s).", e.Seconds())
	}
	wait := fmt.Sprintf("%d second(s)", e.Seconds())
	if e.After > time.Minute {
		wait = fmt.Sprintf("%d minute(s)", int(math.Ceil(e.After.Minutes())))
	}
	return fmt.Sprintf("Too many failed sign-ins for this account or from this address. Try again in %s, after %s.",
		wait, e.At.UTC().Format("15:04:05 UTC"))
}

package oauth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/hubsync/hubsync/internal/store"
)

// The app settings of the refresh-token policy, as the admin API and the
// command line name them, and as an expired refresh token's answer names
// the one that ended it.
//
// HubSpot tells apps to keep the refresh token of the install and reuse it,
// so a confidential app keeps one refresh token until it is revoked. A
// public app, which has no secret to prove who presents its token, always
// rotates it, and the reuse of a rotated token ends the grant (RFC 9700
// §4.14.2). An app may opt into rotation and set lifetimes: these are the
// app-specific security policies under which its refresh tokens expire.
const (
	SettingRotation    = "refresh_token_rotation"
	SettingIdleTTL     = "refresh_token_idle_ttl"
	SettingAbsoluteTTL = "refresh_token_absolute_ttl"
)

// MinRefreshTokenTTL is the shortest refresh-token lifetime an app may set:
// a shorter one would end a grant before its first access token does.
const MinRefreshTokenTTL = time.Minute

// errRefreshExpired marks a refresh token that one of its app's lifetime
// policies ended, so the token endpoint can say it expired.
var errRefreshExpired = errors.New("refresh token expired under the app's policy")

// checkPolicy refuses a policy the hub cannot honour.
func checkPolicy(a store.App) error {
	if a.Public && !a.RefreshTokenRotation {
		return fmt.Errorf("%w: a public app always rotates its refresh tokens (it has no secret to prove who presents them); %s cannot be false",
			ErrInvalid, SettingRotation)
	}
	for _, l := range []struct {
		name string
		ttl  time.Duration
	}{{SettingIdleTTL, a.RefreshTokenIdleTTL}, {SettingAbsoluteTTL, a.RefreshTokenAbsoluteTTL}} {
		if l.ttl != 0 && l.ttl < MinRefreshTokenTTL {
			return fmt.Errorf("%w: %s must be at least %s, or 0 for no limit; %s is too short", ErrInvalid, l.name,
				FormatLifetime(MinRefreshTokenTTL), l.ttl)
		}
	}
	return nil
}

// ParseLifetime reads a refresh-token lifetime: a duration such as "720h"
// or "90m", or "0" (or nothing) for no limit.
func ParseLifetime(s string) (time.Duration, error) {
	if s = strings.TrimSpace(s); s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 720h, or 0 for no limit", s)
	}
	return d, nil
}

// FormatLifetime shows a lifetime the way ParseLifetime reads it, with
// nothing for no limit.
func FormatLifetime(d time.Duration) string {
	if d == 0 {
		return ""
	}
	s := d.String()
	for _, zero := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, zero) {
			s = s[:len(s)-2]
		}
	}
	return s
}

// rotates reports whether an app's refresh tokens change on every refresh.
func rotates(a store.App) bool { return a.Public || a.RefreshTokenRotation }

// refreshEnd is when a grant's refresh token stops working under its app's
// lifetime policies, and the setting that ends it first; zero when the app
// sets none. The idle lifetime runs from the last refresh (or the consent),
// the absolute one from the consent.
func refreshEnd(a store.App, g store.Grant) (time.Time, string) {
	var end time.Time
	var setting string
	if a.RefreshTokenAbsoluteTTL > 0 {
		end, setting = g.CreatedAt.Add(a.RefreshTokenAbsoluteTTL), SettingAbsoluteTTL
	}
	if a.RefreshTokenIdleTTL > 0 {
		idle := later(g.CreatedAt, g.RefreshedAt).Add(a.RefreshTokenIdleTTL)
		if end.IsZero() || idle.Before(end) {
			end, setting = idle, SettingIdleTTL
		}
	}
	return end, setting
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// refreshLapse says why a grant's refresh token no longer works under its
// app's lifetime policies, or "" while it does. The app's current settings
// decide, so a shorter lifetime applies at once to grants made before it.
func refreshLapse(a store.App, g store.Grant, now time.Time) string {
	end, setting := refreshEnd(a, g)
	if end.IsZero() || now.Before(end) {
		return ""
	}
	why := fmt.Sprintf("the app's idle refresh-token lifetime policy (%s %s: the token was not used for that long)",
		SettingIdleTTL, FormatLifetime(a.RefreshTokenIdleTTL))
	if setting == SettingAbsoluteTTL {
		why = fmt.Sprintf("the app's absolute refresh-token lifetime policy (%s %s after the user authorized the app)",
			SettingAbsoluteTTL, FormatLifetime(a.RefreshTokenAbsoluteTTL))
	}
	return "the refresh token expired at " + end.UTC().Format(time.RFC3339) + " under " + why
}

// refreshExpired refuses a refresh token past its end, naming the policy
// that ended it.
func refreshExpired(a store.App, g store.Grant, now time.Time) error {
	why := refreshLapse(a, g, now)
	if why == "" {
		return nil
	}
	return fosite.ErrInvalidGrant.WithWrap(errRefreshExpired).WithHint(sentence(why) + " The user must authorize the app again.")
}

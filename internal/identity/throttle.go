package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// ErrSignInLocked refuses a sign-in after too many failures for the account
// or from the client's address; it comes wrapped in a *RetryError.
var ErrSignInLocked = errors.New("too many failed sign-ins for this account or from this address")

// Attempt is one sign-in: the credentials, the client's IP address and
// what it came through (for the audit log).
type Attempt struct {
	Email, Password string
	Address         string // empty when there is no client address (a local caller)
	Via             string // e.g. "sign-in page", "admin API"
}

// ThrottlePolicy says how failed sign-ins slow the next ones down. Failures
// count per account (the email given, whether or not a user has it, so the
// throttle says nothing about which accounts exist) and per client address
// (against one address trying many accounts). After a key's free failures,
// each failure locks it for a delay that doubles up to a cap.
type ThrottlePolicy struct {
	AccountFree int           // failures an account may have before delays start
	AddressFree int           // the same for an address, which many people may share
	FirstDelay  time.Duration // the first delay; each failure after doubles it
	MaxDelay    time.Duration // the longest delay; keep it below Forget
	Forget      time.Duration // failures are forgotten this long after a key's last one
}

// DefaultThrottle: five tries of a password, then 1 s, 2 s, 4 s … up to
// 15 minutes between tries (about a dozen guesses in the first hour, four an
// hour after); an address gets twenty before its delays start. A key's
// count starts over an hour after its last failure.
var DefaultThrottle = ThrottlePolicy{AccountFree: 5, AddressFree: 20, FirstDelay: time.Second,
	MaxDelay: 15 * time.Minute, Forget: time.Hour}

// delay is how long a key must wait after its n-th failure.
func (p ThrottlePolicy) delay(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := p.FirstDelay
	for i := free; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// throttleKey is a counter an attempt charges.
type throttleKey struct {
	name    string
	free    int
	account bool
}

// throttleKeys are the counters of an attempt, in one order for every
// attempt so that transactions lock them without deadlocks.
func (s *Service) throttleKeys(a Attempt) []throttleKey {
	keys := []throttleKey{{name: accountKey(a.Email), free: s.throttle.AccountFree, account: true}}
	if k := addressKey(a.Address); k != "" {
		keys = append(keys, throttleKey{name: k, free: s.throttle.AddressFree})
	}
	return keys
}

// accountKey names an account by its email. What is not an email is hashed,
// so any string an attacker sends makes a short, storable key.
func accountKey(email string) string {
	if e, err := normalizeEmail(email); err == nil && len(e) <= 254 {
		return "account:" + e
	}
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "account:#" + hex.EncodeToString(sum[:12])
}

// addressKey names a client address. IPv6 clients are counted by /64, the
// block one subscriber usually holds.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "address:" + p.String()
	}
	return "address:" + ip.String()
}

// charge counts the attempt as a failure on each key before the password is
// checked, so attempts made at once cannot all slip past the free ones; a
// right password gives the count back. A key still locked refuses the
// attempt and counts nothing.
func (s *Service) charge(ctx context.Context, keys []throttleKey, now time.Time) ([]store.SignInCounter, error) {
	out := make([]store.SignInCounter, len(keys))
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var until time.Time
		for i, k := range keys {
			c, err := s.counter(ctx, tx, k.name, now)
			if err != nil {
				return err
			}
			if c.LockedUntil.After(until) {
				until = c.LockedUntil
			}
			out[i] = c
		}
		if until.After(now) {
			return &RetryError{Err: ErrSignInLocked, At: until, After: until.Sub(now)}
		}
		for i, k := range keys {
			c := &out[i]
			c.Failures++
			c.LastFailureAt, c.LockedUntil = now, time.Time{}
			if d := s.throttle.delay(c.Failures, k.free); d > 0 {
				c.LockedUntil = now.Add(d)
			}
			if err := tx.PutSignInCounter(ctx, *c); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// counter reads a key's counter; one whose failures are forgotten reads as new.
func (s *Service) counter(ctx context.Context, tx store.Tx, key string, now time.Time) (store.SignInCounter, error) {
	c, err := tx.SignInCounter(ctx, key)
	if err == nil && now.Sub(c.LastFailureAt) >= s.throttle.Forget && !c.LockedUntil.After(now) {
		c = store.SignInCounter{Key: key}
	}
	return c, err
}

// refund gives back what charge counted. A right password clears the
// account's failures; the address keeps the others' failures, or one
// person's success would let an address try many accounts. An attempt whose
// password was never checked (the hub was busy) gives back one count of each.
// A counter left with no failures is deleted, so that attempts refused
// before any hash, with made-up emails, leave no rows behind.
func (s *Service) refund(ctx context.Context, keys []throttleKey, signedIn bool) error {
	ctx = context.WithoutCancel(ctx) // the count must be right even if the client left
	return s.store.Update(ctx, func(tx store.Tx) error {
		for _, k := range keys {
			c, err := tx.SignInCounter(ctx, k.name)
			if err != nil {
				return err
			}
			c.Failures = max(c.Failures-1, 0)
			if signedIn && k.account {
				c.Failures = 0
			}
			if c.Failures < k.free {
				c.LockedUntil = time.Time{}
			}
			if c.Failures == 0 {
				err = tx.DeleteSignInCounter(ctx, k.name)
			} else {
				err = tx.PutSignInCounter(ctx, c)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// noteLockout logs and audits a failed attempt that locked its account or
// address, saying until when.
func (s *Service) noteLockout(ctx context.Context, a Attempt, charged []store.SignInCounter, now time.Time) error {
	var until time.Time
	fields := map[string]string{"via": a.Via}
	for _, c := range charged {
		kind, who, _ := strings.Cut(c.Key, ":")
		fields[kind] = who
		fields[kind+"_failures"] = strconv.Itoa(c.Failures)
		if c.LockedUntil.After(until) {
			until = c.LockedUntil
		}
	}
	if until.IsZero() {
		return nil
	}
	fields["locked_until"] = until.UTC().Format(time.RFC3339)
	s.log.Warn("sign-in locked after repeated failures", "account", fields["account"], "address", fields["address"],
		"account_failures", fields["account_failures"], "address_failures", fields["address_failures"],
		"locked_until", fields["locked_until"], "via", a.Via)
	ctx = context.WithoutCancel(ctx)
	return s.store.Update(ctx, func(tx store.Tx) error {
		return audit.Record(ctx, tx, now, audit.System, "sign_in.locked", "sign_in", fields["account"], nil, fields)
	})
}

// ForgetSignInFailures deletes the counters whose failures are forgotten,
// and returns how many.
func (s *Service) ForgetSignInFailures(ctx context.Context) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx store.Tx) (err error) {
		n, err = tx.DeleteSignInCountersBefore(ctx, s.now().Add(-s.throttle.Forget))
		return err
	})
	return n, err
}

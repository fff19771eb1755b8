package identity_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
)

var policy = identity.ThrottlePolicy{AccountFree: 3, AddressFree: 6, FirstDelay: time.Second, MaxDelay: 8 * time.Second, Forget: time.Hour}

// throttled returns an identity service on backend with the test policy and
// clock, and a user ann@example.com.
func throttled(t *testing.T, backend hubtest.Backend) (*identity.Service, *hubtest.Clock) {
	t.Helper()
	c := hubtest.NewClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	svc := identity.NewService(hubtest.OpenStore(t, backend), cheap, identity.WithThrottle(policy), identity.WithClock(c.Now))
	ctx := context.Background()
	if _, _, err := svc.Init(ctx, identity.InitParams{AdminEmail: "root@example.com", AdminPassword: "long enough"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, identity.NewUser{Email: "ann@example.com", Password: "ann's password"}); err != nil {
		t.Fatal(err)
	}
	return svc, c
}

func eachThrottledBackend(t *testing.T, fn func(t *testing.T, svc *identity.Service, c *hubtest.Clock)) {
	for _, b := range hubtest.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc, c := throttled(t, b)
			fn(t, svc, c)
		})
	}
}

// outcome names what an attempt got: "ok", "wrong", "locked 2s" or an error.
func outcome(err error) string {
	var later *identity.RetryError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, identity.ErrBadCredentials):
		return "wrong"
	case errors.As(err, &later) && errors.Is(err, identity.ErrSignInLocked):
		return fmt.Sprintf("locked %s", later.After)
	}
	return err.Error()
}

func try(svc *identity.Service, email, password, address string) string {
	_, err := svc.Authenticate(context.Background(), identity.Attempt{Email: email, Password: password, Address: address, Via: "test"})
	return outcome(err)
}

// TestThrottleDelaysDoubleAfterFreeFailures: an account gets its free
// failures, then each failure locks it for twice as long as the last, up to
// the cap; while locked even the right password is refused, and counts
// nothing. Once it may try again, the right password works and clears the
// count. An email no user has goes through exactly the same steps.
func TestThrottleDelaysDoubleAfterFreeFailures(t *testing.T) {
	eachThrottledBackend(t, func(t *testing.T, svc *identity.Service, c *hubtest.Clock) {
		for _, email := range []string{"ann@example.com", "nobody@example.com"} {
			var got []string
			for range 3 {
				got = append(got, try(svc, email, "guess", ""))
			}
			got = append(got, try(svc, email, "ann's password", "")) // locked: not even checked
			for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
				c.Advance(wait - time.Millisecond)
				got = append(got, try(svc, email, "guess", ""))
				c.Advance(time.Millisecond)
				got = append(got, try(svc, email, "guess", ""))
			}
			c.Advance(8 * time.Second)
			got = append(got, try(svc, email, "ann's password", ""))
			want := []string{"wrong", "wrong", "wrong", "locked 1s",
				"locked 1ms", "wrong", "locked 1ms", "wrong", "locked 1ms", "wrong", "locked 1ms", "wrong", map[string]string{"ann@example.com": "ok", "nobody@example.com": "wrong"}[email]}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s:\n got %v\nwant %v", email, got, want)
			}
		}
		// Ann's success cleared her count: her free failures are back.
		c.Advance(8 * time.Second)
		for i := range 3 {
			if got := try(svc, "ann@example.com", "guess", ""); got != "wrong" {
				t.Errorf("failure %d after signing in: %s, want wrong", i+1, got)
			}
		}
	})
}

// TestThrottlePerAddress: one address trying many accounts is locked after
// its free failures whatever the accounts; another address is not, and
// one person signing in from the address does not reset it.
func TestThrottlePerAddress(t *testing.T) {
	eachThrottledBackend(t, func(t *testing.T, svc *identity.Service, c *hubtest.Clock) {
		const spray = "192.0.2.7"
		for i := range 5 {
			if got := try(svc, fmt.Sprintf("user%d@example.com", i), "guess", spray); got != "wrong" {
				t.Fatalf("failure %d from the address: %s", i+1, got)
			}
		}
		if got := try(svc, "ann@example.com", "ann's password", spray); got != "ok" {
			t.Fatalf("ann from the same address, within its free tries: %s", got)
		}
		if got := try(svc, "user9@example.com", "guess", spray); got != "wrong" {
			t.Fatalf("6th failure from the address: %s", got)
		}
		if got := try(svc, "user10@example.com", "guess", spray); got != "locked 1s" {
			t.Errorf("after its free failures the address: %s, want locked 1s", got)
		}
		if got := try(svc, "user10@example.com", "guess", "2001:db8::1"); got != "wrong" {
			t.Errorf("another address: %s, want wrong", got)
		}
		// IPv6 clients count by /64.
		for i := range 5 {
			try(svc, fmt.Sprintf("v6-%d@example.com", i), "guess", fmt.Sprintf("2001:db8::%x", i+2))
		}
		if got := try(svc, "v6-9@example.com", "guess", "2001:db8::ffff"); got != "locked 1s" {
			t.Errorf("the 7th failure from one /64: %s, want locked 1s", got)
		}
	})
}

// TestThrottleCountsConcurrentAttempts: attempts made at once on one account
// cannot all get past its free failures; exactly the free ones have their
// password checked.
func TestThrottleCountsConcurrentAttempts(t *testing.T) {
	eachThrottledBackend(t, func(t *testing.T, svc *identity.Service, c *hubtest.Clock) {
		const n = 16
		got := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i] = try(svc, "ann@example.com", "guess", "") })
		}
		wg.Wait()
		counts := map[string]int{}
		for _, g := range got {
			counts[g]++
		}
		if counts["wrong"] != policy.AccountFree || counts["locked 1s"] != n-policy.AccountFree {
			t.Errorf("%d attempts at once: %v, want %d checked and the rest locked", n, counts, policy.AccountFree)
		}
	})
}

// TestThrottleForgets: an hour after a key's last failure its count starts
// over, and the old counters are deleted.
func TestThrottleForgets(t *testing.T) {
	eachThrottledBackend(t, func(t *testing.T, svc *identity.Service, c *hubtest.Clock) {
		for range 3 {
			try(svc, "ann@example.com", "guess", "192.0.2.1")
		}
		c.Advance(time.Hour + time.Second)
		if n, err := svc.ForgetSignInFailures(context.Background()); err != nil || n != 2 {
			t.Errorf("ForgetSignInFailures: %d, %v; want the account's and the address's counters", n, err)
		}
		for i := range 3 {
			if got := try(svc, "ann@example.com", "guess", "192.0.2.1"); got != "wrong" {
				t.Errorf("failure %d an hour later: %s, want wrong", i+1, got)
			}
		}
	})
}

// TestSignInNamesTheAccountByEmailOnly: a sign-in names its account by
// email, the name its failures are counted under. The user's id, in any of
// its spellings, is no way around a locked account: it signs nobody in.
func TestSignInNamesTheAccountByEmailOnly(t *testing.T) {
	eachThrottledBackend(t, func(t *testing.T, svc *identity.Service, c *hubtest.Clock) {
		ann, err := svc.User(context.Background(), "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			try(svc, "ann@example.com", "guess", "")
		}
		id := strconv.FormatInt(ann.ID, 10)
		for _, name := range []string{id, "0" + id, "+" + id} {
			if got := try(svc, name, "ann's password", ""); got != "wrong" {
				t.Errorf("signing in as %q with ann's password while her account is locked: %s, want wrong", name, got)
			}
		}
		c.Advance(time.Second)
		if got := try(svc, "Ann@Example.com", "ann's password", ""); got != "ok" {
			t.Errorf("ann by her email in another case once the lock passed: %s, want ok", got)
		}
	})
}

// TestBusyRefusalsLeaveNoCounters: attempts refused because the hub was
// busy hashing had no password checked; they leave no failure behind, and
// no counter either, so a flood of them with made-up emails does not fill
// the table of counters.
func TestBusyRefusalsLeaveNoCounters(t *testing.T) {
	for _, b := range hubtest.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			c := hubtest.NewClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
			gate := identity.NewHashGate(1024<<10, time.Millisecond)
			svc := identity.NewService(hubtest.OpenStore(t, b), cheap, identity.WithHashGate(gate), identity.WithThrottle(policy),
				identity.WithClock(c.Now))
			held, release := make(chan struct{}), make(chan struct{})
			go gate.Run(context.Background(), 1024, func() { close(held); <-release })
			<-held
			for i := range 5 {
				_, err := svc.Authenticate(context.Background(), identity.Attempt{Email: fmt.Sprintf("made-up-%d@example.com", i),
					Password: "guess", Address: fmt.Sprintf("192.0.2.%d", i)})
				if !errors.Is(err, identity.ErrBusy) {
					t.Fatalf("attempt %d while the gate is full: %v, want ErrBusy", i+1, err)
				}
			}
			close(release)
			c.Advance(policy.Forget + time.Second)
			if n, err := svc.ForgetSignInFailures(context.Background()); err != nil || n != 0 {
				t.Errorf("%d counters left by refused attempts (%v), want none", n, err)
			}
		})
	}
}

package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// lockingPolicy locks an account after three failures for an hour, so no
// test step can outlast a lock.
var lockingPolicy = identity.ThrottlePolicy{AccountFree: 3, AddressFree: 1000, FirstDelay: time.Hour,
	MaxDelay: 2 * time.Hour, Forget: 3 * time.Hour}

// throttledHub opens a hub with lockingPolicy whose own log goes to logs.
func throttledHub(t *testing.T, cfg config.Config, logs *hubtest.SyncBuffer) *hubtest.Env {
	t.Helper()
	return hubtest.Open(t, cfg, hub.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))),
		hub.WithIdentity(identity.WithThrottle(lockingPolicy)))
}

// basic calls an admin route with HTTP Basic credentials.
func basic(t *testing.T, env *hubtest.Env, email, password string) hubtest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/grants", nil)
	req.SetBasicAuth(email, password)
	return send(t, env, req)
}

// signIn posts the sign-in form from a fresh browser.
func signIn(t *testing.T, env *hubtest.Env, email, password string) hubtest.Response {
	t.Helper()
	br := env.Browser()
	_, _, page := br.Page(t, http.MethodGet, "/signin", nil)
	form := url.Values{"email": {email}, "password": {password}, "csrf": {hubtest.CSRF(t, page)}, "return_to": {"/"}}
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return sendWith(t, br.Client, req)
}

// wantLater checks a 429 that says when to try again.
func wantLater(t *testing.T, what string, a hubtest.Response, words ...string) {
	t.Helper()
	if a.Status != http.StatusTooManyRequests {
		t.Errorf("%s: status %d, want 429\n%s", what, a.Status, a.Body)
		return
	}
	if secs, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("%s: Retry-After %q, want whole seconds", what, a.Header.Get("Retry-After"))
	}
	for _, w := range words {
		if !strings.Contains(string(a.Body), w) {
			t.Errorf("%s: answer does not say %q:\n%s", what, w, a.Body)
		}
	}
}

// TestSignInIsThrottled: after an account's free failures, the sign-in page
// and the admin API's Basic authentication refuse it with 429, Retry-After
// and the time to try again, even with the right password; an email no user
// has is refused the same way. Each lockout is logged and audited, without
// the password.
func TestSignInIsThrottled(t *testing.T) {
	t.Parallel()
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			logs := &hubtest.SyncBuffer{}
			env := throttledHub(t, hubtest.Config(t, backend), logs)
			env.User(t, "ann@example.com", identity.RoleAdmin, nil)
			env.User(t, "bob@example.com", identity.RoleAdmin, nil)
			const guess = "hunter2-guess"

			for i := range 3 {
				if a := signIn(t, env, "ann@example.com", guess); a.Status != http.StatusUnauthorized {
					t.Fatalf("sign-in page, failure %d: %d", i+1, a.Status)
				}
			}
			wantLater(t, "sign-in page, right password after 3 failures", signIn(t, env, "ann@example.com", hubtest.Password("ann@example.com")),
				"Too many failed sign-ins", "Try again in 60 minute(s)")

			for _, email := range []string{"bob@example.com", "nobody@example.com"} {
				for i := range 3 {
					a := basic(t, env, email, guess)
					if a.Status != http.StatusUnauthorized || a.JSON(t)["subCategory"] != "BAD_CREDENTIALS" {
						t.Fatalf("Basic as %s, failure %d: %d %s", email, i+1, a.Status, a.Body)
					}
				}
				a := basic(t, env, email, hubtest.Password(email))
				wantLater(t, "Basic as "+email+" after 3 failures", a, "Try again in")
				if a.Status == http.StatusTooManyRequests {
					if body := a.JSON(t); body["category"] != "RATE_LIMITS" || body["subCategory"] != "SIGN_IN_LOCKED" {
						t.Errorf("Basic as %s: %s, want category RATE_LIMITS, subCategory SIGN_IN_LOCKED", email, a.Body)
					}
				}
			}
			// Another account is not affected.
			if a := basic(t, env, "admin@example.com", "correct horse"); a.Status != http.StatusOK {
				t.Errorf("another account: %d %s", a.Status, a.Body)
			}

			events, err := env.Hub.Audit.List(context.Background(), store.AuditQuery{TargetType: "sign_in"})
			if err != nil {
				t.Fatal(err)
			}
			locked := map[string]string{}
			for _, e := range events {
				if e.Action == "sign_in.locked" {
					locked[e.TargetID] = e.After["via"]
				}
			}
			want := map[string]string{"ann@example.com": "sign-in page", "bob@example.com": "admin API", "nobody@example.com": "admin API"}
			if len(locked) != len(want) || locked["ann@example.com"] != want["ann@example.com"] || locked["bob@example.com"] != want["bob@example.com"] {
				t.Errorf("audited lockouts %v, want %v", locked, want)
			}
			if n := strings.Count(logs.String(), "sign-in locked"); n != 3 {
				t.Errorf("%d lockouts logged, want 3:\n%s", n, logs.String())
			}
			for _, where := range []string{logs.String(), env.Logs.String(), mustJSON(events)} {
				if strings.Contains(where, guess) {
					t.Errorf("a tried password was written down:\n%s", where)
				}
			}
		})
	}
}

// TestSignInThrottleIsSharedByReplicas: failures counted by one replica
// lock the account on another replica of the same hub.
func TestSignInThrottleIsSharedByReplicas(t *testing.T) {
	t.Parallel()
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			cfg := hubtest.Config(t, backend)
			one := throttledHub(t, cfg, &hubtest.SyncBuffer{})
			two := throttledHub(t, cfg, &hubtest.SyncBuffer{})
			for range 3 {
				basic(t, one, "admin@example.com", "a guess")
			}
			wantLater(t, "the other replica", basic(t, two, "admin@example.com", "correct horse"), "SIGN_IN_LOCKED")
		})
	}
}

// TestPasswordHashesAreBounded: thirty-two wrong sign-ins at once, for
// accounts that do not exist, never run more hashes at once than the gate
// has room for; each is refused with 401, or 429 and Retry-After when it
// found no room. A wrong password costs one hash, known account or not.
func TestPasswordHashesAreBounded(t *testing.T) {
	t.Parallel()
	const hashKiB = 8 << 10
	gate := identity.NewHashGate(2*hashKiB<<10, 20*time.Millisecond)
	open := identity.ThrottlePolicy{AccountFree: 1000, AddressFree: 1000, FirstDelay: time.Second, MaxDelay: time.Second, Forget: time.Hour}
	env := hubtest.Open(t, hubtest.Config(t, hubtest.SQLite), hub.WithIdentity(identity.WithHashGate(gate),
		identity.WithArgon2(identity.Argon2Params{Time: 1, MemoryKiB: hashKiB, Threads: 1}), identity.WithThrottle(open)))
	env.User(t, "ann@example.com", identity.RoleAdmin, nil)
	if slots := gate.Slots(identity.Argon2Params{MemoryKiB: hashKiB}); slots != 2 {
		t.Fatalf("the gate runs %d hashes at once, want 2", slots)
	}

	before := gate.Hashes()
	basic(t, env, "ann@example.com", "wrong")
	basic(t, env, "nobody@example.com", "wrong")
	if n := gate.Hashes() - before; n != 2 {
		t.Errorf("a wrong password for a user and for no user ran %d hashes, want one each", n)
	}

	answers := make([]hubtest.Response, 32)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() { answers[i] = basic(t, env, "nobody"+strconv.Itoa(i)+"@example.com", "wrong") })
	}
	wg.Wait()
	counts := map[int]int{}
	for _, a := range answers {
		counts[a.Status]++
		if a.Status == http.StatusTooManyRequests {
			wantLater(t, "a sign-in that found no room", a, "BUSY")
		} else if a.Status != http.StatusUnauthorized {
			t.Errorf("status %d: %s", a.Status, a.Body)
		}
	}
	if peak := gate.Peak(); peak > 2 || peak < 1 {
		t.Errorf("%d hashes ran at once, want 1 or 2", peak)
	}
	t.Logf("answers %v; at most %d hashes at once", counts, gate.Peak())
}

// TestBusyHashGateAnswers429: while the gate is full, a sign-in waits
// briefly and is refused with 429 and Retry-After on the admin API and the
// sign-in page; its password was not checked, so it counts as no failure.
func TestBusyHashGateAnswers429(t *testing.T) {
	t.Parallel()
	gate := identity.NewHashGate(int64(hubtest.CheapArgon2.MemoryKiB)<<10, 20*time.Millisecond)
	strict := identity.ThrottlePolicy{AccountFree: 1, AddressFree: 1, FirstDelay: time.Hour, MaxDelay: time.Hour, Forget: 2 * time.Hour}
	env := hubtest.Open(t, hubtest.Config(t, hubtest.SQLite), hub.WithIdentity(identity.WithHashGate(gate), identity.WithThrottle(strict)))

	held, release := make(chan struct{}), make(chan struct{})
	go gate.Run(context.Background(), hubtest.CheapArgon2.MemoryKiB, func() { close(held); <-release })
	<-held
	a := basic(t, env, "admin@example.com", "correct horse")
	wantLater(t, "admin API while the gate is full", a, "BUSY", "busy checking other sign-ins")
	wantLater(t, "sign-in page while the gate is full", signIn(t, env, "admin@example.com", "correct horse"), "busy checking other sign-ins")
	close(release)

	if a := basic(t, env, "admin@example.com", "correct horse"); a.Status != http.StatusOK {
		t.Errorf("once the gate has room: %d %s (refused attempts counted as failures?)", a.Status, a.Body)
	}
}

// TestSignInThrottleByForwardedClient: behind a trusted load balancer the
// client address is the one the balancer adds to X-Forwarded-For, so one
// client's failures do not lock out everyone behind the balancer; without
// a trusted proxy the header is ignored, so a client cannot dodge its
// address's count by writing one.
func TestSignInThrottleByForwardedClient(t *testing.T) {
	t.Parallel()
	perAddress := identity.ThrottlePolicy{AccountFree: 1000, AddressFree: 2, FirstDelay: time.Hour, MaxDelay: time.Hour, Forget: 2 * time.Hour}
	from := func(env *hubtest.Env, email, forwardedFor string) hubtest.Response {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/grants", nil)
		req.SetBasicAuth(email, "a guess")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		return send(t, env, req)
	}
	cfg := hubtest.Config(t, hubtest.SQLite)
	cfg.TrustedProxies = []string{"127.0.0.0/8"}
	behind := hubtest.Open(t, cfg, hub.WithIdentity(identity.WithThrottle(perAddress)))
	for i, spoofed := range []string{"198.51.100.1", "198.51.100.2"} {
		if r := from(behind, "user"+strconv.Itoa(i)+"@example.com", spoofed+", 203.0.113.5"); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d of the client: %d %s", i+1, r.Status, r.Body)
		}
	}
	wantLater(t, "the client after its free failures", from(behind, "user9@example.com", "198.51.100.3, 203.0.113.5"), "SIGN_IN_LOCKED")
	if r := from(behind, "user9@example.com", "203.0.113.6"); r.Status != http.StatusUnauthorized {
		t.Errorf("another client behind the same balancer: %d %s", r.Status, r.Body)
	}

	direct := hubtest.Open(t, hubtest.Config(t, hubtest.SQLite), hub.WithIdentity(identity.WithThrottle(perAddress)))
	for i := range 2 {
		from(direct, "user"+strconv.Itoa(i)+"@example.com", "203.0.113."+strconv.Itoa(i))
	}
	wantLater(t, "a client writing its own X-Forwarded-For", from(direct, "user9@example.com", "203.0.113.9"), "SIGN_IN_LOCKED")
}

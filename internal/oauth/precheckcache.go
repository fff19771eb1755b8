package oauth

import (
	"context"
	"sync"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// passedChecks remembers the refresh tokens whose grant the token
// endpoint's precheck found working, by signature, with the auth
// generation it read them at and the end their app's lifetime policies
// gave them then. Every change that could end a grant (a revocation, the
// user removed, deactivated or given new credentials, the app changed or
// deleted) moves the generation, so a token passes from here only while
// nothing changed; fosite still checks the token itself on every use. A
// refresh only moves a token's end later, so the end kept is a safe bound.
type passedChecks struct {
	mu     sync.Mutex
	passed map[string]passedCheck
}

type passedCheck struct {
	generation int64
	end        time.Time // zero: no lifetime policy
}

func newPassedChecks() *passedChecks { return &passedChecks{passed: map[string]passedCheck{}} }

// ok reports whether the token with this signature passed at generation
// and is short of its end at now.
func (p *passedChecks) ok(signature string, generation int64, now time.Time) bool {
	p.mu.Lock()
	c, found := p.passed[signature]
	p.mu.Unlock()
	return found && c.generation == generation && (c.end.IsZero() || now.Before(c.end))
}

func (p *passedChecks) put(signature string, c passedCheck) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.passed) >= maxChecked {
		clear(p.passed)
	}
	p.passed[signature] = c
}

// precheckRefresh is precheck for a refresh token, answered from the
// checks that passed when nothing has changed since.
func (s *Server) precheckRefresh(ctx context.Context, raw string) error {
	gen, err := generation(ctx, s.store)
	if err != nil {
		return err
	}
	signature := s.strategy.RefreshTokenSignature(ctx, raw)
	if s.passed.ok(signature, gen, s.now()) {
		return nil
	}
	it, ended, err := s.lookup(ctx, store.TokenRefresh, raw)
	if err != nil || ended != nil {
		return refusal(store.TokenRefresh, it, ended, err, s.now())
	}
	end, _ := refreshEnd(it.app, it.grant)
	s.passed.put(signature, passedCheck{generation: gen, end: end})
	return nil
}

package oauth

import (
	"context"
	"sync"
	"time"
)

// checkCache remembers the answers of token checks, keyed by the token's
// keyed hash, each with the auth generation it was read at. The
// generation moves with every change that could change an answer
// (store.Store.AuthGeneration), in whatever process or replica makes it,
// so an answer is used only while one primary-key read shows nothing has
// changed since: a revoked token, a removed user or a rotated private app
// is refused on its next use. Only tokens that passed enter, so callers
// without a valid token cannot fill it; its size is bounded all the same.
type checkCache struct {
	mu      sync.Mutex
	entries map[[32]byte]checked
}

// checked is a token check's answer and what bounds its use.
type checked struct {
	principal  Principal
	generation int64
	// expires ends the answer whatever the generation: the token's own
	// expiry, or a rotated private app token's grace.
	expires time.Time
	// lastUsed is when the use was last noted in the store.
	lastUsed time.Time
}

// maxChecked bounds the cache; past it the cache starts over, which costs
// each live token one full check.
const maxChecked = 10_000

func newCheckCache() *checkCache { return &checkCache{entries: map[[32]byte]checked{}} }

// get returns the answer for a token if it was read at generation and has
// not expired by now.
func (c *checkCache) get(key [32]byte, generation int64, now time.Time) (checked, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || e.generation != generation || (!e.expires.IsZero() && !now.Before(e.expires)) {
		return checked{}, false
	}
	return e, true
}

func (c *checkCache) put(key [32]byte, e checked) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxChecked {
		clear(c.entries)
	}
	c.entries[key] = e
}

// used notes that a token's use was recorded at.
func (c *checkCache) used(key [32]byte, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		e.lastUsed = at
		c.entries[key] = e
	}
}

// generationReader is the store's auth generation.
type generationReader interface {
	AuthGeneration(ctx context.Context) (int64, error)
}

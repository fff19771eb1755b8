package oauth

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"
)

// clientLimiter is a token bucket per client id for the token endpoint, so
// one client cannot guess secrets or codes at speed or starve the others.
type clientLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

func newClientLimiter(limit rate.Limit, burst int) *clientLimiter {
	return &clientLimiter{limit: limit, burst: burst, buckets: map[string]*rate.Limiter{}}
}

// maxBuckets bounds the map that made-up client ids could otherwise grow.
const maxBuckets = 10_000

// evictIdle forgets clients that have used at most one try of their
// burst: forgetting them forgives next to nothing. A client being hammered
// has spent its burst and keeps its bucket, so floods of made-up ids
// cannot reset its limit.
func (c *clientLimiter) evictIdle() {
	for id, l := range c.buckets {
		if l.Tokens() >= float64(c.burst-1) {
			delete(c.buckets, id)
		}
	}
}

// allow reports whether the client may try now, and if not, how long to wait.
func (c *clientLimiter) allow(clientID string) (bool, time.Duration) {
	c.mu.Lock()
	l, ok := c.buckets[clientID]
	if !ok {
		if len(c.buckets) >= maxBuckets {
			c.evictIdle()
		}
		l = rate.NewLimiter(c.limit, c.burst)
		c.buckets[clientID] = l
	}
	c.mu.Unlock()
	r := l.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}

// slowDown answers 429 with Retry-After when the client has used up its
// tries at the endpoints that check client secrets, and reports whether it
// did. The token endpoint, introspection and revocation share one bucket
// per client, so spreading guesses over them gains nothing.
func (s *Server) slowDown(w http.ResponseWriter, clientID string) bool {
	ok, wait := s.limiter.allow(clientID)
	if ok {
		return false
	}
	const msg = "Too many requests for this client; retry after the Retry-After delay."
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeJSON(w, http.StatusTooManyRequests, tokenErrorJSON{Error: "slow_down", Status: "RATE_LIMITS",
		ErrorDescription: msg, Message: msg, CorrelationID: uuid.NewString(), Category: "RATE_LIMITS"})
	return true
}

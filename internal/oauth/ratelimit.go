package oauth

import (
	"sync"
	"time"

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

// allow reports whether the client may try now, and if not, how long to wait.
func (c *clientLimiter) allow(clientID string) (bool, time.Duration) {
	c.mu.Lock()
	l, ok := c.buckets[clientID]
	if !ok {
		if len(c.buckets) > 10_000 {
			// Unknown client ids could grow the map without end.
			c.buckets = map[string]*rate.Limiter{}
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

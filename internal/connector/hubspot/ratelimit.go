package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimit is what one answer's X-HubSpot-RateLimit-* headers said. The
// connector paces its calls only by the connector.Pacer in ctx; these
// headers are for a caller that watches them (WithRateLimitObserver) and
// set a 429's RetryAfter. A field the answer did not carry is -1 (Interval 0).
type RateLimit struct {
	// Max requests in each Interval, and how many of them remain.
	Max, Remaining int
	Interval       time.Duration
	// Daily cap and what remains of it.
	Daily, DailyRemaining int
}

// parseRateLimit reads the rate-limit headers; nil when there are none.
func parseRateLimit(h http.Header) *RateLimit {
	num := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-HubSpot-RateLimit-" + name)))
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	rl := RateLimit{Max: num("Max"), Remaining: num("Remaining"), Daily: num("Daily"), DailyRemaining: num("Daily-Remaining")}
	if ms := num("Interval-Milliseconds"); ms > 0 {
		rl.Interval = time.Duration(ms) * time.Millisecond
	}
	if rl.Max < 0 && rl.Remaining < 0 && rl.Interval == 0 && rl.Daily < 0 && rl.DailyRemaining < 0 {
		return nil
	}
	return &rl
}

type rateObserverKey struct{}

// WithRateLimitObserver returns a context whose calls report each answer's
// rate-limit headers to observe, as they arrive, for a caller that wants to
// keep a token bucket in step with the external side. A 429's headers also
// ride on its error, in ResponseError.RateLimit.
func WithRateLimitObserver(ctx context.Context, observe func(RateLimit)) context.Context {
	return context.WithValue(ctx, rateObserverKey{}, observe)
}

func observeRateLimit(ctx context.Context, h http.Header) {
	f, _ := ctx.Value(rateObserverKey{}).(func(RateLimit))
	if f == nil {
		return
	}
	if rl := parseRateLimit(h); rl != nil {
		f(*rl)
	}
}

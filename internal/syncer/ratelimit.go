package syncer

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// SettingRateLimit names an integration or connection setting that caps
// the calls a connection makes to the external app, as "<calls>/<window>",
// e.g. "100/10s"; "off" removes the default cap.
const SettingRateLimit = "rate_limit"

// HubSpotRateLimit is real HubSpot's documented floor for an app installed
// in one account: 100 calls per 10 seconds.
const HubSpotRateLimit = "100/10s"

// RealHubSpot reports whether an integration's settings point at real
// HubSpot, whose documented limits apply, rather than at another hub.
func RealHubSpot(settings map[string]string) bool {
	u, err := url.Parse(settings["api_url"])
	return err == nil && strings.HasSuffix(u.Hostname(), "hubapi.com")
}

// limitFor returns the token bucket a connection's calls wait on: the
// connection's setting, else the integration's, else real HubSpot's
// documented limit when the app is real HubSpot; nil for no limit.
func limitFor(settings, config map[string]string) (*rate.Limiter, error) {
	spec := config[SettingRateLimit]
	if spec == "" {
		spec = settings[SettingRateLimit]
	}
	if spec == "" && RealHubSpot(settings) {
		spec = HubSpotRateLimit
	}
	if spec == "" || spec == "off" {
		return nil, nil
	}
	calls, window, ok := strings.Cut(spec, "/")
	n, err := strconv.Atoi(calls)
	d, derr := time.ParseDuration(window)
	if !ok || err != nil || derr != nil || n <= 0 || d <= 0 {
		return nil, fmt.Errorf("the %s setting %q is not <calls>/<window>, e.g. 100/10s", SettingRateLimit, spec)
	}
	// A bucket of b tokens refilled at r admits at most b + r·window calls
	// in any window, so the refill rate leaves room for the burst.
	burst := max(1, n/10)
	if burst >= n {
		return rate.NewLimiter(rate.Every(d), 1), nil
	}
	return rate.NewLimiter(rate.Limit(float64(n-burst)/d.Seconds()), burst), nil
}

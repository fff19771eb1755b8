package hub

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
	"github.com/hubsync/hubsync/internal/metrics"
	"github.com/hubsync/hubsync/internal/oauth"
)

// MetricsPath is where the hub serves its Prometheus metrics.
const MetricsPath = "/metrics"

// WithMetricsToken makes the main listener's /metrics answer only callers
// that present this bearer token; empty leaves it open. The debug
// listener's /metrics is open either way: only the operator reaches it.
func WithMetricsToken(token string) Option { return func(b *options) { b.metricsToken = token } }

// watchGauges registers the gauges counted at scrape time, once the
// services they read are open.
func (h *Hub) watchGauges() {
	h.Metrics.Register(metrics.NewSnapshot("hubsync_connections", "Connections by status.", "status",
		func(ctx context.Context) (map[string]float64, error) {
			conns, err := h.Connections.List(ctx)
			// Every status shows, at zero if need be, so a dashboard can
			// tell none from unknown.
			out := map[string]float64{connection.StatusActive: 0, connection.StatusDegraded: 0, connection.StatusPaused: 0,
				connection.StatusNeedsReconnect: 0, connection.StatusDisconnected: 0}
			for _, c := range conns {
				out[c.Status]++
			}
			return out, err
		}))
	h.Metrics.Register(metrics.NewSnapshot("hubsync_jobs", "Sync-run jobs not yet finished, by state.", "state", h.Jobs.Depth))
}

// metricsRoute serves /metrics, behind the metrics token if there is one.
func (h *Hub) metricsRoute(mux api.Mux) {
	serve := h.Metrics.Handler()
	mux.HandleFunc("GET "+MetricsPath, func(w http.ResponseWriter, r *http.Request) {
		if h.scrapeToken != "" {
			given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(given), []byte(h.scrapeToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hubsync metrics"`)
				http.Error(w, "metrics need the metrics token as a bearer token", http.StatusUnauthorized)
				return
			}
		}
		serve.ServeHTTP(w, r)
	})
}

// timedAuth measures the API's token checks.
type timedAuth struct {
	inner *oauth.Authenticator
	m     *metrics.Metrics
}

func (a timedAuth) Authenticate(ctx context.Context, token string) (oauth.Principal, error) {
	start := time.Now()
	p, err := a.inner.Authenticate(ctx, token)
	a.m.TokenCheck(tokenKind(token), checkOutcome(err), time.Since(start))
	return p, err
}

// tokenKind names a token's kind by its prefix, never by more of it.
func tokenKind(token string) string {
	switch {
	case strings.HasPrefix(token, oauth.PrivateAppPrefix):
		return "private_app"
	case strings.HasPrefix(token, "ory_at_"):
		return "oauth"
	}
	return "unknown"
}

func checkOutcome(err error) string {
	var ended *oauth.ErrGrantEnded
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, oauth.ErrInvalidToken), errors.Is(err, oauth.ErrTokenExpired), errors.As(err, &ended):
		return "refused"
	}
	return "error"
}

// meteredConnectors counts the token refreshes of the connectors that
// refresh. The wrapper embeds the connector itself, so every ability the
// engine discovers by type assertion stays.
func meteredConnectors(r connector.Registry, m *metrics.Metrics) connector.Registry {
	if hs, ok := r["hubspot"].(*hubspot.Connector); ok {
		r["hubspot"] = meteredHubSpot{Connector: hs, m: m}
	}
	return r
}

type meteredHubSpot struct {
	*hubspot.Connector
	m *metrics.Metrics
}

func (c meteredHubSpot) Refresh(ctx context.Context, t connector.Target, cred connector.Credential) (connector.Credential, error) {
	fresh, err := c.Connector.Refresh(ctx, t, cred)
	c.m.Refresh("hubspot", refreshOutcome(err))
	return fresh, err
}

// refreshOutcome is ok, refused (the external app said no for good) or
// failed (it may work on a retry).
func refreshOutcome(err error) string {
	var ce *connector.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ce) && ce.Definite:
		return "refused"
	}
	return "failed"
}

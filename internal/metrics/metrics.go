// Package metrics owns what a hub shows Prometheus: the metric families,
// their labels and the registry they live in. It knows nothing of the
// hub's domain: the hub tells it what happened (a request served, a run
// finished, a token checked) and gives it readers for what is counted at
// scrape time (connections by status, jobs waiting). It does not decide
// who may scrape; the hub does, where it mounts Handler.
//
// Every label takes its values from a set the hub bounds: route patterns
// as registered (never a raw path, which can carry a token), connection
// ids (bounded by the account's connections), object types and
// directions, outcomes the code names. Nothing a caller sends becomes a
// label, and nothing secret is recorded.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one hub's registry and the families it fills.
type Metrics struct {
	reg         *prometheus.Registry
	http        *prometheus.HistogramVec
	tokenCheck  *prometheus.HistogramVec
	runs        *prometheus.CounterVec
	records     *prometheus.CounterVec
	runDuration *prometheus.HistogramVec
	jobLatency  *prometheus.HistogramVec
	refreshes   *prometheus.CounterVec
}

// New returns a registry with the Go runtime's and the process's
// collectors and the hub's families. It is the hub's own registry, not
// Prometheus's global one, so two hubs in one process (tests, the demo)
// keep apart.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.http = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hubsync_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern and status class.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "status"})
	m.tokenCheck = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hubsync_token_check_duration_seconds", Help: "Time to check the bearer token of an API call, by token kind and outcome.",
		Buckets: []float64{.000005, .00001, .00002, .00005, .0001, .00025, .0005, .001, .0025, .01, .05},
	}, []string{"kind", "outcome"})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hubsync_sync_runs_total", Help: "Sync runs finished, by connection and status.",
	}, []string{"connection", "status"})
	m.records = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hubsync_sync_records_total", Help: "Records sync runs handled, by connection, object, direction (to_app, to_hub) and what happened.",
	}, []string{"connection", "object", "direction", "result"})
	m.runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hubsync_sync_run_duration_seconds", Help: "Duration of sync runs, by connection.",
		Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
	}, []string{"connection"})
	m.jobLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hubsync_job_latency_seconds", Help: "Time from when a job was due to when a worker started it, by job kind.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"kind"})
	m.refreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hubsync_external_token_refreshes_total", Help: "Access-token refreshes toward external apps, by provider and outcome.",
	}, []string{"provider", "outcome"})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.http, m.tokenCheck, m.runs, m.records, m.runDuration, m.jobLatency, m.refreshes)
	return m
}

// Handler serves the registry in Prometheus's text and protobuf formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{MaxRequestsInFlight: 2})
}

// Register adds a collector, such as a Snapshot.
func (m *Metrics) Register(c prometheus.Collector) { m.reg.MustRegister(c) }

// HTTP observes one answered request. pattern is the route pattern that
// served it, "" when none did.
func (m *Metrics) HTTP(pattern string, status int, took time.Duration) {
	if pattern == "" {
		pattern = "unmatched"
	}
	m.http.WithLabelValues(pattern, strconv.Itoa(status/100)+"xx").Observe(took.Seconds())
}

// TokenCheck observes one bearer-token check: kind is private_app, oauth
// or unknown; outcome ok, refused or error.
func (m *Metrics) TokenCheck(kind, outcome string, took time.Duration) {
	m.tokenCheck.WithLabelValues(kind, outcome).Observe(took.Seconds())
}

// Run observes a finished sync run: its status and its counts, keyed
// "object.direction.result" as the run records them.
func (m *Metrics) Run(connectionID int64, status string, took time.Duration, counts map[string]int) {
	conn := strconv.FormatInt(connectionID, 10)
	m.runs.WithLabelValues(conn, status).Inc()
	m.runDuration.WithLabelValues(conn).Observe(took.Seconds())
	for key, n := range counts {
		object, direction, result, ok := splitCount(key)
		if ok && n > 0 {
			m.records.WithLabelValues(conn, object, direction, result).Add(float64(n))
		}
	}
}

// JobStarted observes the wait of a job a worker has just started.
func (m *Metrics) JobStarted(kind string, waited time.Duration) {
	m.jobLatency.WithLabelValues(kind).Observe(max(waited, 0).Seconds())
}

// Refresh counts a token refresh toward an external app.
func (m *Metrics) Refresh(provider, outcome string) {
	m.refreshes.WithLabelValues(provider, outcome).Inc()
}

// splitCount splits a run's count key, "object.direction.result".
func splitCount(key string) (object, direction, result string, ok bool) {
	var parts [3]string
	n := 0
	start := 0
	for i := 0; i <= len(key); i++ {
		if i == len(key) || key[i] == '.' {
			if n == 3 {
				return "", "", "", false
			}
			parts[n], n, start = key[start:i], n+1, i+1
		}
	}
	return parts[0], parts[1], parts[2], n == 3
}

package hub

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// NewHTTPServer is the server a hub is served with (serve, demo). It
// bounds how long a client may hold a connection: the headers must arrive
// within ReadHeaderTimeout and a kept-alive connection may idle for
// IdleTimeout. The body has the handler's --body-timeout, set per
// request, rather than a ReadTimeout: that would also cancel the request
// of a handler still working when it passed. No answer streams (sync-now
// --follow watches the store, not an HTTP response), so WriteTimeout only
// has to outlast the slowest handler: a live check of an external app,
// whose calls each time out after 15 s or less.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, WriteTimeout: 2 * time.Minute}
}

// HTTPServer is NewHTTPServer serving the hub's handler; shutting it down
// also ends the change listings waiting for the feed, which would
// otherwise hold a graceful shutdown for up to their 25 s.
func (h *Hub) HTTPServer(log *slog.Logger) *http.Server {
	srv := NewHTTPServer(h.Handler(log))
	srv.RegisterOnShutdown(func() { h.stopOnce.Do(func() { close(h.stopping) }) })
	return srv
}

// DebugHandler serves the operator's debug listener (serve --debug-listen):
// net/http/pprof's profiles and the metrics, without authentication, so it
// must listen where only the operator reaches it. It is never part of the
// main handler, whose callers are apps and browsers.
func (h *Hub) DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("GET "+MetricsPath, h.Metrics.Handler())
	return mux
}

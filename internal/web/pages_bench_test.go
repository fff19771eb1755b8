package web_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// BenchmarkPages measures the server-side time of the home page, its live
// part, the connections list (a page of 50, and filtered) and the review,
// with 1,000 connections and 100,000 runs, in process: the handler alone,
// without a network or a browser. Each should stay under 50 ms.
func BenchmarkPages(b *testing.B) {
	env := hubtest.New(b, hubtest.SQLite)
	seedConnections(b, env, 1_000, 100_000)
	browser := env.Browser()
	browser.SignIn(b, "boss@example.com")
	base, _ := url.Parse(env.URL)
	cookies := browser.Client.Jar.Cookies(base)
	handler := env.Hub.Handler(slog.New(slog.DiscardHandler))
	for _, page := range []struct{ name, path string }{
		{"home", "/home"},
		{"home-live-part", "/home/attention"},
		{"connections", "/connections"},
		{"connections-page-10", "/connections?page=10"},
		{"connections-filtered", "/connections?status=degraded&q=seeded+00"},
		{"review", "/review"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, env.URL+page.path, nil)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", page.path, rec.Code)
				}
			}
		})
	}
}

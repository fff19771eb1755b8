package web_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/web"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// TestMain checks, after a run of every test, that the tests kept a
// screenshot of every page: a page nobody looked at in a browser is a page
// nobody knows works.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	// Only a whole run can tell, and only where the browser tests ran (they
	// skip without chromium, except under CI, where they fail).
	whole := flag.Lookup("test.run").Value.String() == "" && !testing.Short()
	if code == 0 && whole && (os.Getenv("CI") != "" || len(webtest.ShotPaths()) > 0) {
		if missing := pagesWithoutShot(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test kept a screenshot of these pages: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// parts are the live parts of pages htmx fetches alone; their page's
// screenshot shows them.
var parts = map[string]bool{"GET /home/attention": true, "GET /settings/webhooks/{id}/deliveries": true,
	// The approval callback sends a signed-in browser on to the connection's
	// page, whose screenshots show what it says.
	"GET /connections/callback": true}

// notPage tells GET routes that are parts of pages, files or redirects.
func notPage(pattern string) bool {
	return pattern == "GET /static/{file}" || pattern == "GET /{$}" || pattern == "GET /oauth/authorize" || parts[pattern] ||
		strings.HasSuffix(pattern, "/part") || strings.HasSuffix(pattern, "/live") || strings.HasSuffix(pattern, ".csv")
}

func pagesWithoutShot() []string {
	var routes patterns
	web.NewConsole(web.Services{}, nil, nil).Routes(&routes)
	mux := http.NewServeMux()
	for _, p := range routes {
		if strings.HasPrefix(p, "GET ") && !notPage(p) {
			mux.Handle(p, http.NotFoundHandler())
		}
	}
	seen := map[string]bool{}
	for _, path := range webtest.ShotPaths() {
		if _, p := mux.Handler(&http.Request{Method: http.MethodGet, URL: mustURL(path), Host: "hub"}); p != "" {
			seen[p] = true
		}
	}
	var missing []string
	for _, p := range routes {
		if strings.HasPrefix(p, "GET ") && !notPage(p) && !seen[p] {
			missing = append(missing, p)
		}
	}
	return missing
}

type patterns []string

func (p *patterns) Handle(pattern string, _ http.Handler) { *p = append(*p, pattern) }

func mustURL(path string) *url.URL {
	u, err := url.Parse(path)
	if err != nil {
		panic(err)
	}
	return u
}

package cli_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeDebugListener: "serve --debug-listen" serves Go's profiles and
// the metrics on a listener of its own; the main listener has no profiles,
// and /metrics there wants the --metrics-token.
func TestServeDebugListener(t *testing.T) {
	t.Parallel()
	const token = "scrape-token-for-the-test"
	base, out := serveWith(t, []string{"--data-dir", t.TempDir()}, "--debug-listen", "127.0.0.1:0", "--metrics-token", token)
	m := regexp.MustCompile(`debug listener on (http://[^/\s]+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve did not say where its debug listener is:\n%s", out)
	}
	debug := m[1]
	for _, c := range []struct {
		url, token string
		want       int
		body       string
	}{
		{debug + "/debug/pprof/goroutine?debug=1", "", http.StatusOK, "goroutine"},
		{debug + "/metrics", "", http.StatusOK, "hubsync_connections"},
		{base + "/debug/pprof/goroutine?debug=1", "", http.StatusNotFound, ""},
		{base + "/debug/pprof/", "", http.StatusNotFound, ""},
		{base + "/metrics", "", http.StatusUnauthorized, ""},
		{base + "/metrics", token, http.StatusOK, "hubsync_http_request_duration_seconds"},
	} {
		req, _ := http.NewRequest(http.MethodGet, c.url, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || !strings.Contains(string(body), c.body) {
			t.Errorf("GET %s: %d, want %d with %q\n%.300s", c.url, resp.StatusCode, c.want, c.body, body)
		}
	}
}

// TestServeWithoutDebugListener: without --debug-listen there is none.
func TestServeWithoutDebugListener(t *testing.T) {
	t.Parallel()
	_, out := serve(t, "--data-dir", t.TempDir())
	if strings.Contains(out.String(), "debug listener") {
		t.Errorf("serve opened a debug listener unasked:\n%s", out)
	}
}

// TestServeCPUProfile: the hidden "serve --cpu-profile" leaves a Go CPU
// profile of the run once serve stops, for hubsync bench --profile-dir.
func TestServeCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.pprof")
	t.Run("serve", func(t *testing.T) {
		base, _ := serveWith(t, []string{"--data-dir", t.TempDir()}, "--cpu-profile", path)
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A profile is gzipped protocol buffers.
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("serve --cpu-profile wrote %d bytes that are not a profile", len(data))
	}
}

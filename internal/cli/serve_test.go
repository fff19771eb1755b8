package cli_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// TestServeCutsOffStalledBodies: "serve --body-timeout" answers a token
// request whose body stalls with 408 and closes its connection, instead of
// holding it for as long as the client likes.
func TestServeCutsOffStalledBodies(t *testing.T) {
	t.Parallel()
	base, _ := serve(t, "--data-dir", t.TempDir(), "--body-timeout", "200ms")
	resp, body := hubtest.StallBody(t, strings.TrimPrefix(base, "http://"),
		"POST /oauth/v1/token HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n")
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Errorf("stalled token request: %d (close %v) %s", resp.StatusCode, resp.Close, body)
	}
}

package cli_test

import (
	"net/url"
	"strings"
	"testing"
)

// oauthIntegration registers another hub's OAuth app as integration
// other-hub.
func (b *testBundle) oauthIntegration(t *testing.T) {
	t.Helper()
	b.must(t, "client-secret-1234567\n", "integrations", "create", "--name", "other-hub", "--provider", "hubspot", "--auth", "oauth2",
		"--base-url", "https://hub.example.com", "--client-id", "client-1", "--scopes", "crm.objects.contacts.read", "--client-secret-stdin")
}

// approval reads what an OAuth create or reconnect printed: the line to
// read and the authorize URL's redirect_uri.
func approval(t *testing.T, out string) (line, redirect string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("printed %d lines, want a sentence and the URL:\n%s", len(lines), out)
	}
	u, err := url.Parse(lines[1])
	if err != nil || !strings.HasPrefix(lines[1], "https://hub.example.com/oauth/authorize?") {
		t.Fatalf("second line is not the authorize URL: %q", lines[1])
	}
	return lines[0], u.Query().Get("redirect_uri")
}

// TestOAuthCreateFromTheCommandLine checks that an OAuth connections create
// prints the new connection's id with the approval URL, whose callback is
// the running server's URL as it recorded it, never a guessed address.
func TestOAuthCreateFromTheCommandLine(t *testing.T) {
	t.Setenv("HUBSYNC_PUBLIC_URL", "")
	b := setup(t)
	b.user(t, "ann@example.com", "--role", "admin")
	b.oauthIntegration(t)
	create := []string{"connections", "create", "--integration", "other-hub", "--name", "crm", "--owner", "ann@example.com"}

	// No server has run and no --public-url is given: the URL is unknown.
	if errOut := b.fails(t, "", create...); !strings.Contains(errOut, "public URL is unknown") {
		t.Errorf("create before any server ran: %q", errOut)
	}
	if out := b.must(t, "", "connections", "list", "--output", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("a refused create left connections: %s", out)
	}

	// A server with --public-url records it; the command line uses it.
	t.Run("recorded by serve --public-url", func(t *testing.T) {
		serveWith(t, b.args, "--public-url", "https://hubsync.example.org/")
	})
	line, redirect := approval(t, b.must(t, "", create...))
	if !strings.HasPrefix(line, `Connection 1 "crm" awaits approval`) || redirect != "https://hubsync.example.org/connections/callback" ||
		!strings.Contains(line, redirect) {
		t.Errorf("create printed %q with callback %q", line, redirect)
	}
	var started struct {
		Connection   connView
		AuthorizeURL string `json:"authorize_url"`
	}
	asJSON := b.must(t, "", append(create, "--output", "json")...)
	decodeJSON(t, asJSON, &started)
	if strings.Contains(asJSON, `\u0026`) {
		t.Errorf("the approval URL is escaped for HTML, not printed as it is opened:\n%s", asJSON)
	}
	c := started.Connection
	if c.ID != 2 || c.Status != "needs_reconnect" || c.Reason == nil || c.Reason.Code != "awaiting_consent" ||
		!strings.HasPrefix(started.AuthorizeURL, "https://hub.example.com/oauth/authorize?") {
		t.Errorf("create --output json: %+v", started)
	}
	show := b.must(t, "", "connections", "show", "2")
	if !strings.Contains(show, "needs_reconnect (awaiting_consent)") || !strings.Contains(show, "awaits consent") ||
		!strings.Contains(show, "ann@example.com") {
		t.Errorf("show of a connection awaiting consent:\n%s", show)
	}

	// Removing ann would leave nobody the approval can run as.
	if impact := b.must(t, "", "users", "impact", "ann@example.com"); !strings.Contains(impact, "cannot be approved as them") {
		t.Errorf("impact of removing the owner of connections awaiting consent:\n%s", impact)
	}

	// An explicit --public-url still wins.
	_, redirect = approval(t, b.must(t, "", append(create, "--public-url", "https://other.example.net")...))
	if redirect != "https://other.example.net/connections/callback" {
		t.Errorf("create --public-url: callback %q", redirect)
	}

	// A server without --public-url records the address it listens on.
	served, _ := serve(t, b.args...)
	line, redirect = approval(t, b.must(t, "", "connections", "reconnect", "2"))
	if redirect != served+"/connections/callback" || !strings.HasPrefix(line, `Connection 2 "crm" awaits approval`) {
		t.Errorf("reconnect after a server on %s: %q, callback %q", served, line, redirect)
	}
}

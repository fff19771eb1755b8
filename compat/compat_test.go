// Package compat checks the hub against HubSpot's official Node client,
// @hubspot/api-client, pointed at a live hub by basePath, and its OAuth
// server against openid-client. The tests themselves are the *.test.mjs
// files beside this one; this Go test starts a hub on each backend and runs
// them with node's built-in test runner.
package compat

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// nodeTimeout bounds one run of the Node suite, npm ci included.
const nodeTimeout = 5 * time.Minute

// The OAuth app and user the OAuth tests connect with. The redirect URI is
// never fetched: the tests read the code from the hub's redirect.
const (
	oauthUser     = "oauth.user@compat.example.com"
	oauthRedirect = "http://127.0.0.1:1/callback"
)

var (
	oauthScopes         = []string{"crm.objects.contacts.read", "crm.objects.contacts.write"}
	oauthOptionalScopes = []string{"crm.objects.companies.read"}
)

func TestHubSpotNodeClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is required in CI and is not on PATH: %v", err)
		}
		t.Skipf("node is not on PATH (set CI=true to fail instead): %v", err)
	}
	installModules(t)

	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			env := hubtest.New(t, backend)
			token := env.Token(t, hubtest.AllScopes...)
			// A member (not an admin) whose permissions cover the app's
			// scopes, so consent is not blocked, and a confidential app.
			env.User(t, oauthUser, identity.RoleMember, map[string]string{
				"contacts": identity.AccessEdit, "companies": identity.AccessView})
			app, secret := env.App(t, oauth.AppInput{Name: "Compat app", RedirectURIs: []string{oauthRedirect},
				Scopes: oauthScopes, OptionalScopes: oauthOptionalScopes})
			// A second confidential app that opted into refresh-token rotation.
			rotate := true
			rotating, rotatingSecret := env.App(t, oauth.AppInput{Name: "Compat rotating app", RedirectURIs: []string{oauthRedirect},
				Scopes: oauthScopes, RefreshTokenRotation: &rotate})
			ctx, cancel := context.WithTimeout(t.Context(), nodeTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec")
			cmd.Env = append(os.Environ(), "HUBSYNC_URL="+env.URL, "HUBSYNC_TOKEN="+token, "NO_COLOR=1",
				"HUBSYNC_OAUTH_CLIENT_ID="+app.ClientID, "HUBSYNC_OAUTH_CLIENT_SECRET="+secret,
				"HUBSYNC_OAUTH_ROTATING_CLIENT_ID="+rotating.ClientID, "HUBSYNC_OAUTH_ROTATING_CLIENT_SECRET="+rotatingSecret,
				"HUBSYNC_OAUTH_REDIRECT_URI="+oauthRedirect,
				"HUBSYNC_OAUTH_USER="+oauthUser, "HUBSYNC_OAUTH_PASSWORD="+hubtest.Password(oauthUser),
				"HUBSYNC_OAUTH_SCOPES="+strings.Join(oauthScopes, " "),
				"HUBSYNC_OAUTH_OPTIONAL_SCOPES="+strings.Join(oauthOptionalScopes, " "))
			if err := run(t, cmd); err != nil {
				t.Errorf("node --test: %v", err)
			}
			// Request lines are noise; warnings and errors explain failures,
			// and an error means the hub failed inside whatever the client saw.
			for _, line := range strings.Split(env.Logs.String(), "\n") {
				switch {
				case strings.Contains(line, `"level":"ERROR"`):
					t.Errorf("hub logged an error: %s", line)
				case strings.Contains(line, `"level":"WARN"`):
					t.Logf("hub logged a warning: %s", line)
				}
			}
		})
	}
}

// installModules runs npm ci when node_modules is missing, so a fresh clone
// installs exactly what package-lock.json pins.
func installModules(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("node_modules"); err == nil {
		return
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("node_modules is missing and npm is not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	if err := run(t, cmd); err != nil {
		t.Fatalf("npm ci: %v", err)
	}
}

// run runs cmd in this folder, streaming its output line by line into t.Log.
func run(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	// A killed child can leave grandchildren holding the pipe; do not wait on them forever.
	cmd.WaitDelay = 10 * time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			t.Log(sc.Text())
		}
		// Keep draining so the child never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, pr)
	}()
	start := time.Now()
	err := cmd.Run()
	pw.Close()
	<-done
	t.Logf("%s finished in %s", cmd.Args[0], time.Since(start).Round(time.Millisecond))
	return err
}

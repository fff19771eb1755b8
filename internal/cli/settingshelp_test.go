package cli_test

import (
	"os"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub"
)

// TestProviderSettingsAreDocumented checks that every setting a provider
// reads is listed with its default in the README and in the --help of
// the command that gives it.
func TestProviderSettingsAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	help := map[connector.Scope]string{
		connector.OfConnection:  mustRun(t, "connections", "create", "--help"),
		connector.OfIntegration: mustRun(t, "integrations", "create", "--help"),
	}
	for _, p := range connection.Providers() {
		settings := hub.ProviderSettings(p)
		if len(settings) < 3 {
			t.Errorf("provider %s lists %d settings", p, len(settings))
		}
		for _, s := range settings {
			if !hasLine(string(readme), "`"+s.Name+"` (", s.Default) {
				t.Errorf("README does not list %s setting %s with its default %q", p, s.Name, s.Default)
			}
			for scope, text := range help {
				if s.Of&scope != 0 && !hasLine(text, "  "+s.Name+" ", s.Default) {
					t.Errorf("--help does not list %s setting %s with its default %q:\n%s", p, s.Name, s.Default, text)
				}
			}
		}
	}
}

// hasLine reports whether a line of text holds all of parts.
func hasLine(text string, parts ...string) bool {
	for line := range strings.Lines(text) {
		found := true
		for _, p := range parts {
			found = found && strings.Contains(line, p)
		}
		if found {
			return true
		}
	}
	return false
}

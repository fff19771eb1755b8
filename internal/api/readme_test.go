package api_test

import (
	"os"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// TestAdminAPIListMatchesTheRoutes checks that the README's admin API list
// names exactly the /api/v1 routes the hub serves.
func TestAdminAPIListMatchesTheRoutes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(readme), "## Admin API")
	_, after, _ = strings.Cut(after, "```\n")
	block, _, ok := strings.Cut(after, "\n```")
	if !ok {
		t.Fatal("the README has no route block under ## Admin API")
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(block, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		for _, method := range strings.Split(fields[0], "|") {
			listed[method+" "+fields[1]] = true
		}
	}
	served := map[string]bool{}
	for _, p := range hubtest.New(t, hubtest.SQLite).Hub.Routes() {
		if _, path, _ := strings.Cut(p, " "); strings.HasPrefix(path, "/api/v1/") {
			served[p] = true
			if !listed[p] {
				t.Errorf("the README's admin API list lacks %s", p)
			}
		}
	}
	for p := range listed {
		if !served[p] {
			t.Errorf("the README's admin API list names %s, which the hub does not serve", p)
		}
	}
}

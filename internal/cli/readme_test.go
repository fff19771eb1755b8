package cli_test

import (
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/cli"
)

// TestEveryCommandIsInTheReadme checks that the README's command list names
// every command the CLI has: each leaf command's verb appears on a line of
// its group ("hubsync connections … remove …").
func TestEveryCommandIsInTheReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(readme), "## Command line")
	_, after, _ = strings.Cut(after, "```\n")
	block, _, ok := strings.Cut(after, "\n```")
	if !ok {
		t.Fatal("the README has no command block under ## Command line")
	}
	var leaves func(c *cobra.Command, path []string)
	leaves = func(c *cobra.Command, path []string) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		path = append(path, c.Name())
		if !c.HasSubCommands() {
			if !documented(block, path) {
				t.Errorf("the README's command list lacks %q", strings.Join(path, " "))
			}
			return
		}
		for _, sub := range c.Commands() {
			leaves(sub, path)
		}
	}
	for _, c := range cli.NewRoot(strings.NewReader(""), io.Discard, io.Discard).Commands() {
		leaves(c, []string{"hubsync"})
	}
}

// documented reports whether a line of block that starts with the
// command's group names its verb as a word.
func documented(block string, path []string) bool {
	group := strings.Join(path[:2], " ")
	verb := regexp.MustCompile(`(^|[\s|])` + regexp.QuoteMeta(path[len(path)-1]) + `($|[\s|])`)
	for _, line := range strings.Split(block, "\n") {
		if (strings.HasPrefix(line, group+" ") || line == group) && verb.MatchString(line) {
			return true
		}
	}
	return false
}

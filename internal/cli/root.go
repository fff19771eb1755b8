// Package cli is hubsync's command line: the server and the admin verbs.
// Admin verbs open the same data directory or database as the server, so
// they work whether or not it is running.
package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
)

// app carries the settings every command shares.
type app struct {
	cfg    config.Config
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
	// output is how list and show commands print: table or json.
	output string
	// legacyJSON is the deprecated --json of some commands.
	legacyJSON bool
}

// NewRoot returns the hubsync command with its subcommands.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "hubsync",
		Short:         "A self-hosted CRM hub with two-way sync that survives people coming and going",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return a.checkOutput()
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	f := root.PersistentFlags()
	f.StringVar(&a.cfg.DataDir, "data-dir", envOr("HUBSYNC_DATA_DIR", config.DefaultDataDir), "data directory (env HUBSYNC_DATA_DIR)")
	f.StringVar(&a.cfg.DatabaseURL, "database-url", os.Getenv("HUBSYNC_DATABASE_URL"), "postgres:// URL to use instead of embedded SQLite (env HUBSYNC_DATABASE_URL)")
	f.StringVar(&a.cfg.VaultKeysetFile, "vault-keyset-file", os.Getenv("HUBSYNC_VAULT_KEYSET_FILE"), "file with the keyset outbound credentials are sealed with (default <data-dir>/vault.keyset; env HUBSYNC_VAULT_KEYSET_FILE)")
	f.StringVarP(&a.output, "output", "o", outputTable, "how list and show commands print: table or json")
	f.StringVar(&a.cfg.TokenKeyFile, "token-key-file", os.Getenv("HUBSYNC_TOKEN_KEY_FILE"), "file with the key tokens are hashed with (default <data-dir>/token.key; env HUBSYNC_TOKEN_KEY_FILE)")
	root.AddCommand(a.serveCmd(), a.demoCmd(), a.initCmd(), a.usersCmd(), a.privateAppsCmd(), a.appsCmd(), a.grantsCmd(), a.policyCmd())
	root.AddCommand(a.keysCmd(), a.tokensCmd())
	root.AddCommand(a.benchCmd())
	root.AddCommand(a.integrationsCmd(), a.connectionsCmd(), a.reviewCmd(), a.auditCmd(), a.webhooksCmd())
	return root
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envList reads a comma-separated environment variable; unset is none.
func envList(name string) []string {
	if v := os.Getenv(name); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// withHub opens the hub for one command and closes it after.
func (a *app) withHub(ctx context.Context, fn func(h *hub.Hub) error) error {
	h, err := hub.Open(ctx, a.cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	return fn(h)
}

// views turns what a service returns into what a command prints, as an
// empty list rather than null.
func views[T, V any](items []T, view func(T) V) []V {
	out := make([]V, len(items))
	for i, it := range items {
		out[i] = view(it)
	}
	return out
}

// printJSON prints v as indented JSON. Nothing printed is bound for an
// HTML page, so URLs keep their & as people copy them.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

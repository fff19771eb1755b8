package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
)

func (a *app) integrationsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "integrations", Short: "Manage integrations: the external apps the hub can connect to and its registration with them"}
	cmd.AddCommand(a.integrationsCreateCmd(), a.integrationsListCmd(), a.integrationsUpdateCmd(), a.integrationsDeleteCmd())
	return cmd
}

// keyValues parses repeated k=v flags; flag names the flag in errors.
func keyValues(flag string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q must be key=value", flag, p)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// readSecret reads one secret line from r; what names it in the error.
func readSecret(r io.Reader, what string) (string, error) {
	s, err := readPassword(r)
	if err != nil {
		return "", fmt.Errorf("read the %s from standard input: %w", what, err)
	}
	if s = strings.TrimSpace(s); s == "" {
		return "", fmt.Errorf("standard input held no %s", what)
	}
	return s, nil
}

func (a *app) integrationsCreateCmd() *cobra.Command {
	var name, provider, auth, baseURL, clientID, scopes string
	var settings []string
	var secretStdin bool
	cmd := &cobra.Command{
		Use: "create --name N --provider hubspot|postgres --auth oauth2|private_app|password [--base-url URL] " +
			"[--setting k=v]… [--client-id ID] [--scopes \"a b\"] [--client-secret-stdin]",
		Short: "Register an integration; an OAuth client secret is read from standard input, never from a flag",
		Long: "Register an integration: a provider and the hub's registration with it. Settings that connections\n" +
			"may give too (--config) are the defaults of its connections.\n" + settingsHelp("--setting"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			given, err := keyValues("setting", settings)
			if err != nil {
				return err
			}
			if clientID != "" {
				given["client_id"] = clientID
			}
			if scopes != "" {
				given["scopes"] = strings.Join(strings.Fields(strings.ReplaceAll(scopes, ",", " ")), " ")
			}
			n := connection.NewIntegration{Name: name, Provider: provider, AuthKind: auth,
				Settings: connection.ProviderSettings(provider, baseURL, given)}
			if secretStdin {
				if n.Secret, err = readSecret(a.stdin, "client secret"); err != nil {
					return err
				}
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				in, err := h.Connections.CreateIntegration(cmd.Context(), audit.CLI, n)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewIntegrationView(in))
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "name of the integration, used to refer to it")
	fl.StringVar(&provider, "provider", "", "external app type: "+strings.Join(connection.Providers(), ", "))
	fl.StringVar(&auth, "auth", "", "how connections authenticate: oauth2, private_app (hubspot) or password (postgres)")
	fl.StringVar(&baseURL, "base-url", "", "hubspot: base URL of another HubSpot-compatible hub (default: real HubSpot)")
	fl.StringArrayVar(&settings, "setting", nil, "a provider setting as key=value, e.g. --setting api_url=https://… (repeatable)")
	fl.StringVar(&clientID, "client-id", "", "oauth2: the client id of the hub's app registration on the external app")
	fl.StringVar(&scopes, "scopes", "", "oauth2: scopes to ask for, space-separated")
	fl.BoolVar(&secretStdin, "client-secret-stdin", false, "oauth2: read the client secret from standard input")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("provider")
	cmd.MarkFlagRequired("auth")
	return cmd
}

func (a *app) integrationsUpdateCmd() *cobra.Command {
	var settings []string
	var secretStdin bool
	cmd := &cobra.Command{
		Use:   "update <id|name> [--setting k=v]… [--client-secret-stdin]",
		Short: "Change an integration's settings (k= removes one) or client secret, e.g. after it was rotated on the external app",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch connection.IntegrationChange
			var err error
			if ch.Settings, err = keyValues("setting", settings); err != nil {
				return err
			}
			if secretStdin {
				if ch.Secret, err = readSecret(a.stdin, "client secret"); err != nil {
					return err
				}
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				in, err := h.Connections.UpdateIntegration(cmd.Context(), audit.CLI, args[0], ch)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewIntegrationView(in))
			})
		},
	}
	cmd.Flags().StringArrayVar(&settings, "setting", nil, "a provider setting as key=value (repeatable)")
	cmd.Flags().BoolVar(&secretStdin, "client-secret-stdin", false, "read the new client secret from standard input")
	return cmd
}

func (a *app) integrationsListCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "list",
		Short: "List integrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				ins, err := h.Connections.Integrations(cmd.Context())
				if err != nil {
					return err
				}
				out := views(ins, api.NewIntegrationView)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tNAME\tPROVIDER\tAUTH\tSECRET\tCREATED\tSETTINGS")
					for _, in := range out {
						secret := "-"
						if in.HasSecret {
							secret = "sealed"
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Name, in.Provider, in.AuthKind, secret,
							in.CreatedAt.Format(time.RFC3339), settingsText(in.Settings))
					}
					return nil
				})
			})
		},
	})
}

// settingsText is an integration's settings on one line, sorted by key.
func settingsText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func (a *app) integrationsDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <id|name>",
		Short: "Delete an integration that no live connection uses",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if err := h.Connections.DeleteIntegration(cmd.Context(), audit.CLI, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "integration %s deleted\n", args[0])
				return nil
			})
		},
	}
}

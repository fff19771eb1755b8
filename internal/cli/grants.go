package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/oauth"
)

func (a *app) grantsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "grants", Short: "See and revoke the access users gave apps"}
	cmd.AddCommand(a.grantsListCmd(), a.grantsRevokeCmd())
	return cmd
}

// grantsTable lists grants: app, user, scopes, use and state.
func grantsTable(tw io.Writer, grants []api.GrantView) {
	fmt.Fprintln(tw, "GRANT\tAPP\tUSER\tSCOPES\tCREATED\tLAST USED\tSTATE")
	for _, g := range grants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.App, g.User, strings.Join(g.Scopes, ","),
			g.CreatedAt.Format(time.RFC3339), timeOr(g.LastUsedAt, "never"), stateText(g.Active, g.Ended))
	}
}

// stateText is a grant's or token's state: active, or why it ended.
func stateText(active bool, ended string) string {
	if active {
		return "active"
	}
	return "ended: " + ended
}

func (a *app) grantsListCmd() *cobra.Command {
	var userRef, appRef string
	cmd := a.jsonAlias(&cobra.Command{
		Use:   "list [--user U] [--app A]",
		Short: "List grants: app, authorizing user, scopes, created, last used, state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				var userID, appID int64
				if userRef != "" {
					u, err := h.Identity.User(cmd.Context(), userRef)
					if err != nil {
						return err
					}
					userID = u.ID
				}
				if appRef != "" {
					p, err := h.Apps.Get(cmd.Context(), appRef)
					if err != nil {
						return err
					}
					appID = p.ID
				}
				views, err := h.Grants.List(cmd.Context(), userID, appID)
				if err != nil {
					return err
				}
				out := api.NewGrantViews(views)
				return a.render(out, func(w io.Writer) error { grantsTable(w, out); return nil })
			})
		},
	})
	cmd.Flags().StringVar(&userRef, "user", "", "only grants of this user (id or email)")
	cmd.Flags().StringVar(&appRef, "app", "", "only grants of this app (id or client_id)")
	return cmd
}

func (a *app) grantsRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke <grant>",
		Short: "Revoke a grant: its access and refresh tokens stop working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if err := h.Grants.Revoke(cmd.Context(), args[0], "revoked by an admin"); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "grant %s revoked\n", args[0])
				return nil
			})
		},
	}
}

func (a *app) policyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Read and set the hub's policies"}
	cmd.AddCommand(&cobra.Command{
		Use:   "get " + oauth.PolicyRevokeOnCredentialsChange,
		Short: "Print a policy's value",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				v, err := oauth.Policy(cmd.Context(), h.Store, args[0])
				if err != nil {
					return err
				}
				return a.render(map[string]any{"policy": args[0], "value": v}, func(w io.Writer) error {
					_, err := fmt.Fprintln(w, v)
					return err
				})
			})
		},
	}, &cobra.Command{
		Use:   "set " + oauth.PolicyRevokeOnCredentialsChange + " true|false",
		Short: "Set a policy",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v bool
			switch args[1] {
			case "true":
				v = true
			case "false":
			default:
				return fmt.Errorf("policy value must be true or false, not %q", args[1])
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if _, err := oauth.ChangePolicy(cmd.Context(), h.Store, audit.CLI, args[0], v); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s = %v\n", args[0], v)
				return nil
			})
		},
	})
	return cmd
}

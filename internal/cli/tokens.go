package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/oauth"
)

// tokensCmd manages personal admin API tokens. The command line acts as the
// hub's local operator, so it names the user a token is for.
func (a *app) tokensCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Manage users' personal admin API tokens (for scripts, instead of a password)"}
	cmd.AddCommand(a.tokensCreateCmd(), a.tokensListCmd(), a.tokensRevokeCmd())
	return cmd
}

func (a *app) tokensCreateCmd() *cobra.Command {
	var name, userRef string
	cmd := &cobra.Command{
		Use:   "create --name N --user E",
		Short: "Create an admin API token acting as the user and print it (only the token, shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				u, err := h.Identity.User(cmd.Context(), userRef)
				if err != nil {
					return err
				}
				_, token, err := h.AdminTokens.Create(cmd.Context(), audit.CLI, u.ID, name)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, token)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, e.g. nightly-export")
	cmd.Flags().StringVar(&userRef, "user", "", "the user the token acts as (email or id)")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("user")
	return cmd
}

func (a *app) tokensListCmd() *cobra.Command {
	var userRef string
	cmd := &cobra.Command{
		Use:   "list [--user E]",
		Short: "List admin API tokens: name, user, created, last used, state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				var userID int64
				if userRef != "" {
					u, err := h.Identity.User(cmd.Context(), userRef)
					if err != nil {
						return err
					}
					userID = u.ID
				}
				tokens, err := h.AdminTokens.List(cmd.Context(), userID)
				if err != nil {
					return err
				}
				out := views(tokens, func(t oauth.AdminTokenView) api.AdminTokenView { return api.NewAdminTokenView(t, "") })
				return a.render(out, func(w io.Writer) error { tokenTable(w, out); return nil })
			})
		},
	}
	cmd.Flags().StringVar(&userRef, "user", "", "only this user's tokens (email or id)")
	return cmd
}

func tokenTable(w io.Writer, tokens []api.AdminTokenView) {
	fmt.Fprintln(w, "ID\tNAME\tUSER\tCREATED\tLAST USED\tSTATE")
	for _, t := range tokens {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.User, t.CreatedAt.Format(time.RFC3339),
			timeOr(t.LastUsedAt, "never"), stateText(t.Active, t.Ended))
	}
}

func (a *app) tokensRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke <id>",
		Short: "Revoke an admin API token; it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("admin token id %q must be a number (see hubsync tokens list)", args[0])
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if err := h.AdminTokens.Revoke(cmd.Context(), audit.CLI, 0, id); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "admin token %d revoked\n", id)
				return err
			})
		},
	}
}

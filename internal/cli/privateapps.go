package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/hub"
)

func (a *app) privateAppsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "private-apps", Short: "Manage private app tokens (account-owned, not tied to a user)"}
	cmd.AddCommand(a.privateAppsCreateCmd(), a.privateAppsListCmd(), a.privateAppsRotateCmd(),
		a.privateAppsUpdateCmd(), a.privateAppsDeleteCmd())
	return cmd
}

func (a *app) privateAppsCreateCmd() *cobra.Command {
	var name string
	var scopes []string
	cmd := &cobra.Command{
		Use:   "create --name N --scopes a,b",
		Short: "Create a private app and print its token (only the token, shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				_, token, err := h.PrivateApps.Create(cmd.Context(), name, scopes, 0)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, token)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the app")
	cmd.Flags().StringSliceVar(&scopes, "scopes", nil, "scopes, e.g. crm.objects.contacts.read,crm.objects.contacts.write")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("scopes")
	return cmd
}

func (a *app) privateAppsListCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "list",
		Short: "List private apps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				apps, err := h.PrivateApps.List(cmd.Context())
				if err != nil {
					return err
				}
				out := views(apps, api.NewPrivateAppView)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tNAME\tSCOPES\tCREATED\tLAST USED")
					for _, p := range out {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", p.ID, p.Name, strings.Join(p.Scopes, ","), p.CreatedAt.Format(time.RFC3339),
							timeOr(p.LastUsedAt, "never"))
					}
					return nil
				})
			})
		},
	})
}

func appID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("private app id %q must be a number (see hubsync private-apps list)", arg)
	}
	return id, nil
}

func (a *app) privateAppsRotateCmd() *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "rotate <id> [--grace 24h]",
		Short: "Issue a new token and print it; the old one works for the grace period, then never",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := appID(args[0])
			if err != nil {
				return err
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				_, token, err := h.PrivateApps.Rotate(cmd.Context(), id, grace)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, token)
				return err
			})
		},
	}
	cmd.Flags().DurationVar(&grace, "grace", 0, "how long the old token keeps working (0: not at all)")
	return cmd
}

func (a *app) privateAppsUpdateCmd() *cobra.Command {
	var scopes []string
	cmd := &cobra.Command{
		Use:   "update <id> --scopes a,b",
		Short: "Replace a private app's scopes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := appID(args[0])
			if err != nil {
				return err
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				p, err := h.PrivateApps.SetScopes(cmd.Context(), id, scopes)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewPrivateAppView(p))
			})
		},
	}
	cmd.Flags().StringSliceVar(&scopes, "scopes", nil, "the new scopes")
	cmd.MarkFlagRequired("scopes")
	return cmd
}

func (a *app) privateAppsDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <id>",
		Short: "Delete a private app; its token stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := appID(args[0])
			if err != nil {
				return err
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if err := h.PrivateApps.Delete(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "private app %d deleted\n", id)
				return nil
			})
		},
	}
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/identity"
)

func (a *app) initCmd() *cobra.Command {
	var p identity.InitParams
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "init --admin-email E --admin-password P",
		Short: "Create the hub and its first super admin",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if passwordStdin {
				var err error
				if p.AdminPassword, err = readPassword(a.stdin); err != nil {
					return err
				}
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				acct, admin, err := h.Identity.Init(cmd.Context(), p)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "hub %d created; super admin %s (user %d)\n", acct.HubID, admin.Email, admin.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&p.AdminEmail, "admin-email", "", "email of the first super admin")
	cmd.Flags().StringVar(&p.AdminPassword, "admin-password", "", "password of the first super admin")
	cmd.Flags().BoolVar(&passwordStdin, "admin-password-stdin", false, "read the password from standard input")
	cmd.Flags().StringVar(&p.AccountName, "account-name", "", "name of the hub (default hubsync)")
	cmd.MarkFlagRequired("admin-email")
	cmd.MarkFlagsOneRequired("admin-password", "admin-password-stdin")
	return cmd
}

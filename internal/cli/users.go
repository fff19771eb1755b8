package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

func (a *app) usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage the hub's users"}
	cmd.AddCommand(a.usersCreateCmd(), a.usersListCmd(), a.usersUpdateCmd(),
		a.userStatusCmd("deactivate", "Suspend a user; their tokens stop working until reactivated", (*identity.Service).Deactivate),
		a.userStatusCmd("reactivate", "Restore a deactivated user", (*identity.Service).Reactivate),
		a.userStatusCmd("remove", "Remove a user for good", (*identity.Service).Remove),
		a.usersImpactCmd())
	return cmd
}

// userFlags are the flags create and update share.
type userFlags struct {
	name, role, password string
	passwordStdin        bool
	perms                []string
	manage               bool
}

func (f *userFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "display name")
	fl.StringVar(&f.role, "role", "", "super_admin, admin or member")
	fl.StringVar(&f.password, "password", "", "password (at least 8 characters)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from standard input")
	fl.StringSliceVar(&f.perms, "perm", nil, "object access as object=none|view|edit, e.g. --perm deals=view (repeatable or comma-separated)")
	fl.BoolVar(&f.manage, "integrations-manage", false, "may manage integrations (--integrations-manage=false to take it away)")
}

func (f *userFlags) permissions() (map[string]string, error) {
	out := map[string]string{}
	for _, p := range f.perms {
		object, level, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("--perm %q must be object=none|view|edit", p)
		}
		out[strings.TrimSpace(object)] = strings.TrimSpace(level)
	}
	return out, nil
}

func (f *userFlags) readPassword(a *app) error {
	if !f.passwordStdin {
		return nil
	}
	var err error
	f.password, err = readPassword(a.stdin)
	return err
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (a *app) usersCreateCmd() *cobra.Command {
	var f userFlags
	var email string
	cmd := &cobra.Command{
		Use:   "create --email E [--role member] [--perm deals=view]",
		Short: "Add a user",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			perms, err := f.permissions()
			if err != nil {
				return err
			}
			if err := f.readPassword(a); err != nil {
				return err
			}
			n := identity.NewUser{Email: email, Name: f.name, Role: f.role, Password: f.password, Permissions: perms}
			if cmd.Flags().Changed("integrations-manage") {
				n.IntegrationsManage = &f.manage
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				u, err := h.Identity.CreateUser(cmd.Context(), n)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewUserView(u))
			})
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "email address")
	cmd.MarkFlagRequired("email")
	f.register(cmd)
	return cmd
}

func (a *app) usersListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users, removed ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				users, err := h.Identity.Users(cmd.Context())
				if err != nil {
					return err
				}
				out := make([]api.UserView, len(users))
				for i, u := range users {
					out[i] = api.NewUserView(u)
				}
				if asJSON {
					return a.printJSON(out)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tSTATUS\tCONTACTS\tCOMPANIES\tDEALS\tINTEGRATIONS")
				for _, u := range out {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, u.Status,
						u.Permissions["contacts"], u.Permissions["companies"], u.Permissions["deals"], yesNo(u.IntegrationsManage))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "manage"
	}
	return "-"
}

func (a *app) usersUpdateCmd() *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "update <id|email> [--role R] [--perm deals=view] [--integrations-manage=false] [--password-stdin]",
		Short: "Change a user's role, permissions, name or password",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			perms, err := f.permissions()
			if err != nil {
				return err
			}
			if err := f.readPassword(a); err != nil {
				return err
			}
			c := identity.UserChanges{Permissions: perms}
			changed := cmd.Flags().Changed
			if changed("name") {
				c.Name = &f.name
			}
			if changed("role") {
				c.Role = &f.role
			}
			if changed("integrations-manage") {
				c.IntegrationsManage = &f.manage
			}
			if changed("password") || f.passwordStdin {
				c.Password = &f.password
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				u, err := h.Identity.UpdateUser(cmd.Context(), args[0], c)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewUserView(u))
			})
		},
	}
	f.register(cmd)
	return cmd
}

type statusChange func(*identity.Service, context.Context, string) (store.User, error)

func (a *app) userStatusCmd(name, short string, change statusChange) *cobra.Command {
	return &cobra.Command{
		Use:   name + " <id|email>",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				u, err := change(h.Identity, cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return a.printJSON(api.NewUserView(u))
			})
		},
	}
}

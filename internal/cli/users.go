package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

func (a *app) usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage the hub's users"}
	cmd.AddCommand(a.usersCreateCmd(), a.usersListCmd(), a.usersUpdateCmd(),
		a.offboardCmd("deactivate", "Suspend a user; their tokens stop working until reactivated", identity.StatusDeactivated),
		a.userStatusCmd("reactivate", "Restore a deactivated user", (*identity.Service).Reactivate),
		a.offboardCmd("remove", "Remove a user for good", identity.StatusRemoved),
		a.userImpactCmd())
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
	return a.jsonAlias(&cobra.Command{
		Use:   "list",
		Short: "List users, removed ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				users, err := h.Identity.Users(cmd.Context())
				if err != nil {
					return err
				}
				out := views(users, api.NewUserView)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tEMAIL\tROLE\tSTATUS\tCONTACTS\tCOMPANIES\tDEALS\tINTEGRATIONS")
					for _, u := range out {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, u.Status,
							u.Permissions["contacts"], u.Permissions["companies"], u.Permissions["deals"], yesNo(u.IntegrationsManage))
					}
					return nil
				})
			})
		},
	})
}

func yesNo(b bool) string {
	if b {
		return "manage"
	}
	return "-"
}

func (a *app) usersUpdateCmd() *cobra.Command {
	var f userFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "update <id|email> [--role R] [--perm deals=view] [--integrations-manage=false] [--password-stdin] [--dry-run]",
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
				if dryRun {
					p, err := h.Connections.PreviewUserChange(cmd.Context(), args[0], c)
					if err != nil {
						return err
					}
					return a.printUserPreview(api.NewUserChangeView(p, true))
				}
				u, err := h.Identity.UpdateUser(cmd.Context(), args[0], c)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewUserView(u))
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "save nothing; say which connections the change would break")
	return cmd
}

// printUserPreview says what a user change would take away and break.
func (a *app) printUserPreview(v api.UserChangeView) error {
	return a.render(v, func(w io.Writer) error {
		fmt.Fprintf(w, "%s would lose: %s\n", v.User.Email, orNothing(v.Reduced))
		if len(v.Degraded) == 0 {
			fmt.Fprintln(w, "No connection would break.")
			return nil
		}
		fmt.Fprintln(w, "ID\tCONNECTION\tROLE\tWOULD BE\tWHY")
		for _, d := range v.Degraded {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", d.Connection.ID, d.Connection.Name, d.Role, d.Status, d.Sentence)
		}
		return nil
	})
}

func orNothing(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
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

// offboardCmd removes or deactivates a user. A user who still runs, owns or
// maintains connections needs --transfer-to (the connections move to that
// user in the same transaction) or --force (they break and say why).
func (a *app) offboardCmd(name, short, status string) *cobra.Command {
	var transferTo string
	var force bool
	cmd := &cobra.Command{
		Use:   name + " <id|email> [--transfer-to email | --force]",
		Short: short + "; their connections need --transfer-to or --force",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if err := refuseSelfTransfer(cmd.Context(), h, args[0], transferTo); err != nil {
					return err
				}
				u, deps, err := h.Connections.Offboard(cmd.Context(), audit.CLI, h.Identity, connection.Offboarding{
					User: args[0], Status: status, TransferTo: transferTo, Force: force})
				if errors.Is(err, connection.ErrHasDependents) {
					return fmt.Errorf("%w (see hubsync users impact %s; use --transfer-to <email> or --force)", err, args[0])
				}
				if err != nil {
					return explainError(err)
				}
				for _, d := range deps {
					a.reportHandOver(cmd.Context(), h, d, transferTo)
				}
				return a.printJSON(api.NewUserView(u))
			})
		},
	}
	cmd.Flags().StringVar(&transferTo, "transfer-to", "", "user (id or email) who takes over the user's connections")
	cmd.Flags().BoolVar(&force, "force", false, "go ahead even though the user's connections break")
	return cmd
}

// reportHandOver says on stderr what became of a connection the offboarded
// user had; stdout keeps the user alone.
func (a *app) reportHandOver(ctx context.Context, h *hub.Hub, d connection.Dependent, transferTo string) {
	c, err := h.Connections.Get(ctx, d.Connection.ID)
	if err != nil {
		c = d.Connection
	}
	switch {
	case transferTo != "":
		fmt.Fprintf(a.stderr, "connection %d %q (%s): transferred to %s; it is %s\n", c.ID, c.Name, d.Role, transferTo, c.Status)
	case c.Reason != "":
		fmt.Fprintf(a.stderr, "connection %d %q (%s): %s (%s). Next step: %s\n", c.ID, c.Name, d.Role, c.Status, c.Reason, c.NextStep)
	default:
		fmt.Fprintf(a.stderr, "connection %d %q (%s): %s\n", c.ID, c.Name, d.Role, c.Status)
	}
}

func (a *app) userImpactCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "impact <id|email>",
		Short: "List what removing or deactivating a user would break: app grants and connections",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				u, err := h.Identity.User(cmd.Context(), args[0])
				if err != nil {
					return explainError(err)
				}
				grants, err := h.Grants.Impact(cmd.Context(), u.ID)
				if err != nil {
					return err
				}
				deps, err := h.Connections.Dependents(cmd.Context(), u.ID)
				if err != nil {
					return err
				}
				v := api.ImpactView{User: api.NewUserView(u), Grants: api.NewGrantViews(grants), Connections: api.NewDependentViews(deps)}
				return a.render(v, func(w io.Writer) error { return printImpact(w, v) })
			})
		},
	})
}

// printImpact says what removing a user breaks: their grants, then their
// connections.
func printImpact(w io.Writer, v api.ImpactView) error {
	email := v.User.Email
	if len(v.Grants) == 0 && len(v.Connections) == 0 {
		fmt.Fprintf(w, "Removing %s breaks nothing: no app acts as them and they have no connections.\n", email)
		return nil
	}
	if len(v.Grants) > 0 {
		fmt.Fprintf(w, "Removing or deactivating %s stops these %d app grants:\n", email, len(v.Grants))
		grantsTable(w, v.Grants)
	}
	if len(v.Connections) > 0 {
		if len(v.Grants) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s has %s; removing or deactivating them needs --transfer-to <email> or --force:\n",
			email, count(len(v.Connections), "connection"))
		dependentsTable(w, v.Connections)
	}
	return nil
}

func dependentsTable(tw io.Writer, deps []api.DependentView) {
	fmt.Fprintln(tw, "CONNECTION\tNAME\tROLE\tMODE\tSTATUS\tIF REMOVED")
	for _, d := range deps {
		c := d.Connection
		effect := "keeps running; nobody is accountable for it"
		switch {
		case d.Role == "connector" && c.Reason != nil && c.Reason.Code == connection.ReasonAwaitingConsent:
			// Its approval would make it run as them: the callback refuses.
			effect = "cannot be approved as them: reconnect as another user"
		case d.Role == "connector":
			effect = "stops: needs reconnecting"
		case d.Role == "maintainer":
			effect = "keeps running; nobody maintains it"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, d.Role, c.AuthMode, c.Status, effect)
	}
}

// refuseSelfTransfer refuses handing a user's connections to that same
// user: they would move nowhere and break with the removal.
func refuseSelfTransfer(ctx context.Context, h *hub.Hub, user, transferTo string) error {
	if transferTo == "" {
		return nil
	}
	u, err := h.Identity.User(ctx, user)
	if err != nil {
		return err
	}
	to, err := h.Identity.User(ctx, transferTo)
	if err != nil {
		return fmt.Errorf("--transfer-to %s: %w", transferTo, err)
	}
	if u.ID == to.ID {
		return fmt.Errorf("--transfer-to names %s, the user being offboarded; name another user", u.Email)
	}
	return nil
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

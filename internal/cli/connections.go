package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/store"
)

func (a *app) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Short: "Manage the hub's connections to external apps"}
	cmd.AddCommand(a.connectionsCreateCmd(), a.connectionsListCmd(), a.connectionsShowCmd(), a.connectionsReconnectCmd(),
		a.connectionsTransferCmd(),
		a.connectionsSyncConfigCmd(), a.connectionsSyncNowCmd(), a.connectionsRunsCmd(), a.connectionsErrorsCmd(), a.connectionsRetryCmd(),
		a.connectionsHealthCmd(), a.connectionsRetryErrorsCmd(),
		a.connectionsChangeCmd("pause", "Hold a connection: nothing syncs until resume; its cursors stay", (*connection.Service).Pause),
		a.connectionsChangeCmd("resume", "End a pause; the connection is checked again", (*connection.Service).Resume),
		a.connectionsDeleteCmd(), a.connectionsDiagnoseCmd(), a.connectionsCheckCmd(), a.connectionsAttentionCmd())
	return cmd
}

// explainError turns an external app's answer into "reason: message", the
// words a person acts on; its cause may quote the request, so it is left out.
func explainError(err error) error {
	var e *connector.Error
	if !errors.As(err, &e) {
		return err
	}
	msg := e.Text()
	if msg == "" {
		msg = e.Detail
	}
	return errors.New(e.Reason + ": " + msg)
}

func connectionID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("connection id %q must be a number (see hubsync connections list)", arg)
	}
	return id, nil
}

// callbackFlag lets create and reconnect name the URL the server is reached
// at, where the external app sends the admin's browser back; by default the
// one the server recorded when it started.
func (a *app) callbackFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.cfg.PublicURL, "public-url", os.Getenv("HUBSYNC_PUBLIC_URL"),
		"oauth2: base URL browsers reach the running server at (env HUBSYNC_PUBLIC_URL; default: the URL hubsync serve recorded)")
}

// credentialFor reads the key or database URL a non-OAuth integration needs
// from standard input.
func (a *app) credentialFor(in store.Integration, fromStdin bool) (connector.Credential, error) {
	var cred connector.Credential
	if in.AuthKind == connection.AuthOAuth2 {
		if fromStdin {
			return cred, fmt.Errorf("integration %s uses oauth2: approve it in a browser instead of giving a credential", in.Name)
		}
		return cred, nil
	}
	what := connection.CredentialName(in.AuthKind)
	if !fromStdin {
		return cred, fmt.Errorf("integration %s authenticates with a %s: give it on standard input with --credential-stdin", in.Name, what)
	}
	s, err := readSecret(a.stdin, what)
	if err != nil {
		return cred, err
	}
	return connection.CredentialOf(in.AuthKind, s), nil
}

// printStarted prints a connection made at once (as JSON, like every
// change), or the connection and where to approve it: under --output json
// both as JSON, else a line to read and the URL alone on the next.
func (a *app) printStarted(s connection.Started) error {
	v := api.NewStartedView(s)
	for _, advice := range s.Advice {
		// On standard error, so the JSON or URL printed stays whole.
		fmt.Fprintf(a.stderr, "warning: %s\n", advice.Message)
	}
	if s.AuthorizeURL == "" {
		return a.printJSON(v.Connection)
	}
	c := s.Connection
	return a.render(v, func(w io.Writer) error {
		fmt.Fprintf(w, "Connection %d %q awaits approval: open this URL in a browser signed in to the external app and approve the hub; "+
			"the external app sends the browser back to the hubsync server at %s.\n", c.ID, c.Name, callbackOf(s.AuthorizeURL))
		_, err := fmt.Fprintln(w, s.AuthorizeURL)
		return err
	})
}

// callbackOf is the redirect_uri an authorize URL names.
func callbackOf(authorizeURL string) string {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "its callback URL"
	}
	return u.Query().Get("redirect_uri")
}

func (a *app) connectionsCreateCmd() *cobra.Command {
	var n connection.NewConnection
	var config []string
	var credStdin bool
	cmd := &cobra.Command{
		Use: "create --integration I --name N [--auth-mode user|app] [--owner email] [--maintainer email] [--note …] " +
			"[--objects contacts,deals] [--config k=v]… [--credential-stdin]",
		Short: "Connect the hub to an external app; a key or database URL is read from standard input",
		Long: "Connect the hub to an external app. For a private_app integration standard input holds the API key,\n" +
			"for postgres the database URL (with its password, if the database asks for one). For an oauth2\n" +
			"integration the command prints the new connection's id and a URL to approve it in a browser; the\n" +
			"connection awaits consent until the running server receives the callback.\n" + settingsHelp("--config"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if n.Config, err = keyValues("config", config); err != nil {
				return err
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				in, err := h.Connections.Integration(cmd.Context(), n.Integration)
				if err != nil {
					return explainError(err)
				}
				if n.Credential, err = a.credentialFor(in, credStdin); err != nil {
					return err
				}
				started, err := h.Connections.Create(cmd.Context(), audit.CLI, n)
				if err != nil {
					return explainError(err)
				}
				return a.printStarted(started)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&n.Integration, "integration", "", "integration id or name (see hubsync integrations list)")
	fl.StringVar(&n.Name, "name", "", "name of the connection")
	fl.StringVar(&n.AuthMode, "auth-mode", connection.ModeUser, "user (runs as the owner's hub permissions) or app (runs as the account)")
	fl.StringVar(&n.Owner, "owner", "", "connector user (user mode) or accountable person (app mode), id or email")
	fl.StringVar(&n.Maintainer, "maintainer", "", "who looks after it, id or email (default: the owner)")
	fl.StringVar(&n.Note, "note", "", "how the integration is run, so ownership is documented")
	fl.StringSliceVar(&n.Objects, "objects", nil, "hub objects it syncs, e.g. contacts,deals (default: all)")
	fl.StringArrayVar(&config, "config", nil, "a connection setting as key=value, e.g. --config table=public.people (repeatable)")
	fl.BoolVar(&credStdin, "credential-stdin", false, "read the API key or database URL from standard input")
	a.callbackFlag(cmd)
	cmd.MarkFlagRequired("integration")
	cmd.MarkFlagRequired("name")
	return cmd
}

// emails maps user ids to emails, for tables.
func emails(ctx context.Context, h *hub.Hub) (map[int64]string, error) {
	users, err := h.Identity.Users(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(users))
	for _, u := range users {
		m[u.ID] = u.Email
	}
	return m, nil
}

func timeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.RFC3339)
}

func (a *app) connectionsListCmd() *cobra.Command {
	var f connection.Filter
	var owner string
	cmd := a.jsonAlias(&cobra.Command{
		Use:   "list [--status S] [--provider P] [--owner E] [--name N] [--page 1]",
		Short: "List connections, deleted ones included unless filtered (filters list live ones, 50 a page)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				cs, err := listConnections(cmd, h, f, owner)
				if err != nil {
					return err
				}
				out := views(cs, api.NewConnectionView)
				return a.render(out, func(w io.Writer) error {
					who, err := emails(cmd.Context(), h)
					if err != nil {
						return err
					}
					fmt.Fprintln(w, "ID\tNAME\tSTATUS\tREASON\tMODE\tOWNER\tLAST SUCCESS")
					for _, c := range out {
						reason := "-"
						if c.Reason != nil {
							reason = c.Reason.Code
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Status, reason, c.AuthMode, dash(who[c.OwnerID]),
							timeOr(c.LastSuccessAt, "never"))
					}
					return nil
				})
			})
		},
	})
	fl := cmd.Flags()
	fl.StringVar(&f.Status, "status", "", "only connections with this status: active, degraded, needs_reconnect, paused")
	fl.StringVar(&f.Provider, "provider", "", "only connections of this provider's integrations")
	fl.StringVar(&owner, "owner", "", "only connections this user (email or id) runs or owns")
	fl.StringVar(&f.Name, "name", "", "only connections whose name contains this, ignoring case")
	fl.IntVar(&f.Page, "page", 0, "the page of 50 to list when filtering")
	return cmd
}

// listConnections is every connection, or with a filter flag the live
// ones that match, one page.
func listConnections(cmd *cobra.Command, h *hub.Hub, f connection.Filter, owner string) ([]store.Connection, error) {
	filtered := false
	for _, name := range []string{"status", "provider", "owner", "name", "page"} {
		filtered = filtered || cmd.Flags().Changed(name)
	}
	if !filtered {
		return h.Connections.List(cmd.Context())
	}
	if owner != "" {
		u, err := h.Identity.User(cmd.Context(), owner)
		if err != nil {
			return nil, err
		}
		f.OwnerID = u.ID
	}
	found, err := h.Connections.Find(cmd.Context(), nil, f)
	cs := make([]store.Connection, len(found.Rows))
	for i, r := range found.Rows {
		cs[i] = r.Connection
	}
	return cs, err
}

func (a *app) connectionsShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show <id>",
		Short: "Show a connection: status, reason, next step, the people it names, objects, syncs and last run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				sum, err := h.Connections.Summarize(cmd.Context(), id)
				if err != nil {
					return explainError(err)
				}
				v := api.NewConnectionSummaryView(sum)
				return a.render(v, func(w io.Writer) error { return connectionSummary(w, v) })
			})
		},
	}
}

func (a *app) connectionsReconnectCmd() *cobra.Command {
	var owner string
	var credStdin bool
	cmd := &cobra.Command{
		Use:   "reconnect <id> [--owner email] [--credential-stdin]",
		Short: "Authorize a connection afresh, as the same or another user, keeping its id, links and cursors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				c, err := h.Connections.Get(cmd.Context(), id)
				if err != nil {
					return explainError(err)
				}
				in, err := h.Connections.Integration(cmd.Context(), strconv.FormatInt(c.IntegrationID, 10))
				if err != nil {
					return err
				}
				r := connection.Reconnection{Owner: owner}
				if r.Credential, err = a.credentialFor(in, credStdin); err != nil {
					return err
				}
				started, err := h.Connections.Reconnect(cmd.Context(), audit.CLI, id, r)
				if err != nil {
					return explainError(err)
				}
				return a.printStarted(started)
			})
		},
	}
	cmd.Flags().StringVar(&owner, "owner", "", "user to run as from now on, id or email (default: the current owner)")
	cmd.Flags().BoolVar(&credStdin, "credential-stdin", false, "read the new API key or database URL from standard input")
	a.callbackFlag(cmd)
	return cmd
}

func (a *app) connectionsTransferCmd() *cobra.Command {
	var to connection.TransferTo
	cmd := &cobra.Command{
		Use:   "transfer <id> (--to email | --app-mode [--to email]) [--maintainer email]",
		Short: "Move a connection to another user, or to app mode (then --to names the accountable person), or to another maintainer",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := connectionID(args[0])
			if err != nil {
				return err
			}
			if to.Owner == "" && !to.AppMode && to.Maintainer == "" {
				return errors.New("give --to <email> to transfer to a user, --app-mode to run as the account, or --maintainer <email>")
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				c, err := h.Connections.Transfer(cmd.Context(), audit.CLI, id, to)
				if err != nil {
					return explainError(err)
				}
				return a.printJSON(api.NewConnectionView(c))
			})
		},
	}
	cmd.Flags().StringVar(&to.Owner, "to", "", "the new owner, id or email")
	cmd.Flags().BoolVar(&to.AppMode, "app-mode", false, "run as the account instead of a user")
	cmd.Flags().StringVar(&to.Maintainer, "maintainer", "", "who looks after it from now on, id or email (default: the current maintainer, or the owner if they left)")
	return cmd
}

type connectionChange func(*connection.Service, context.Context, audit.Actor, int64) (store.Connection, error)

func (a *app) connectionsChangeCmd(name, short string, change connectionChange) *cobra.Command {
	return &cobra.Command{
		Use:   name + " <id>",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				c, err := change(h.Connections, cmd.Context(), audit.CLI, id)
				if err != nil {
					return explainError(err)
				}
				return a.printJSON(api.NewConnectionView(c))
			})
		},
	}
}

func (a *app) connectionsDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <id>",
		Short: "Disconnect a connection for good; its credential is wiped, its history kept",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				if err := h.Connections.Delete(cmd.Context(), audit.CLI, id); err != nil {
					return explainError(err)
				}
				fmt.Fprintf(a.stdout, "connection %d deleted; its credential is wiped\n", id)
				return nil
			})
		},
	}
}

func (a *app) connectionsDiagnoseCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "diagnose <id>",
		Short: "Run the troubleshooting checklist on a connection; exits 1 when a step fails",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				d, err := h.Connections.Diagnose(cmd.Context(), id)
				if err != nil {
					return explainError(err)
				}
				v := api.NewDiagnosisView(d)
				if err := a.render(v, func(w io.Writer) error { return printDiagnosis(w, v) }); err != nil {
					return err
				}
				if v.Verdict == connection.Fail {
					return fmt.Errorf("connection %d fails its checklist", id)
				}
				return nil
			})
		},
	})
}

// printDiagnosis writes the checklist. Its lines are not aligned in
// columns, as a step's detail is a sentence.
func printDiagnosis(w io.Writer, v api.DiagnosisView) error {
	c := v.Connection
	fmt.Fprintf(w, "Connection %d %q is %s.\n", c.ID, c.Name, c.Status)
	if c.Reason != nil {
		fmt.Fprintf(w, "%s: %s\n", c.Reason.Code, c.Reason.Message)
	}
	width := 0
	for _, s := range v.Steps {
		width = max(width, len(s.Name))
	}
	for _, s := range v.Steps {
		line := fmt.Sprintf("%-4s  %-*s  %s", strings.ToUpper(s.Verdict), width, s.Name, s.Detail)
		if s.Next != "" {
			line += " Next: " + s.Next
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "Verdict: %s.", strings.ToUpper(v.Verdict))
	if v.NextStep != "" {
		fmt.Fprintf(w, " Next step: %s", v.NextStep)
	}
	_, err := fmt.Fprintln(w)
	return err
}

func (a *app) connectionsCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check <id>",
		Short: "Make the external app's cheapest live call now and print the connection's status after",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				_, checkErr := h.Connections.Check(cmd.Context(), id)
				c, err := h.Connections.Get(cmd.Context(), id)
				if err != nil {
					return explainError(err)
				}
				fmt.Fprintf(a.stdout, "connection %d %q is %s", c.ID, c.Name, c.Status)
				if c.Reason != "" {
					fmt.Fprintf(a.stdout, " (%s): %s Next step: %s", c.Reason, c.ReasonMessage, c.NextStep)
				}
				fmt.Fprintln(a.stdout)
				return explainError(checkErr)
			})
		},
	}
}

// withConnection opens the hub for a command about the connection whose id
// is arg.
func (a *app) withConnection(ctx context.Context, arg string, fn func(h *hub.Hub, id int64) error) error {
	id, err := connectionID(arg)
	if err != nil {
		return err
	}
	return a.withHub(ctx, func(h *hub.Hub) error { return fn(h, id) })
}

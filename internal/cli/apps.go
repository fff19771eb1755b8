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
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

func (a *app) appsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "apps", Short: "Manage OAuth apps that users connect to the hub"}
	cmd.AddCommand(a.appsCreateCmd(), a.appsListCmd(), a.appsShowCmd(), a.appsUpdateCmd(), a.appsRotateCmd(), a.appsDeleteCmd())
	return cmd
}

// appFlags are the flags create and update share.
type appFlags struct {
	name             string
	redirects        []string
	scopes, optional []string
	public           bool
	rotation         bool
	idle, absolute   time.Duration
}

func (f *appFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "name users see on the consent page")
	fl.StringArrayVar(&f.redirects, "redirect-uri", nil, "redirect URI, matched exactly (repeatable)")
	fl.StringSliceVar(&f.scopes, "scopes", nil, "required scopes, e.g. crm.objects.contacts.read,crm.objects.contacts.write")
	fl.StringSliceVar(&f.optional, "optional-scopes", nil, "scopes the user may leave out")
	fl.BoolVar(&f.rotation, "refresh-token-rotation", false,
		"issue a new refresh token on every refresh and end the grant when an old one is reused (always on for public apps; "+
			"off by default: a confidential app keeps its refresh token until revoked, as on HubSpot)")
	fl.DurationVar(&f.idle, "refresh-token-idle-ttl", 0, "end a refresh token unused for this long, e.g. 720h (0: never)")
	fl.DurationVar(&f.absolute, "refresh-token-absolute-ttl", 0, "end a refresh token this long after the user authorized the app, e.g. 2160h (0: never)")
}

func (f *appFlags) input(cmd *cobra.Command) oauth.AppInput {
	in := oauth.AppInput{Name: f.name, RedirectURIs: f.redirects, Scopes: f.scopes, OptionalScopes: f.optional, Public: f.public}
	f.policy(cmd, &in)
	return in
}

// policy sets the refresh-token settings the command line names.
func (f *appFlags) policy(cmd *cobra.Command, in *oauth.AppInput) {
	changed := cmd.Flags().Changed
	if changed("refresh-token-rotation") {
		in.RefreshTokenRotation = &f.rotation
	}
	if changed("refresh-token-idle-ttl") {
		in.RefreshTokenIdleTTL = &f.idle
	}
	if changed("refresh-token-absolute-ttl") {
		in.RefreshTokenAbsoluteTTL = &f.absolute
	}
}

func (a *app) appsCreateCmd() *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:   "create --name N --redirect-uri U --scopes a,b [--optional-scopes c] [--public] [--refresh-token-rotation] [--refresh-token-idle-ttl D] [--refresh-token-absolute-ttl D]",
		Short: "Register an app; prints its client_id and client_secret (the secret is shown only now)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				p, secret, err := h.Apps.Create(cmd.Context(), f.input(cmd), 0)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewAppView(p, secret))
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.public, "public", false, "a public app (no secret; PKCE required), such as a desktop or single-page app")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("redirect-uri")
	cmd.MarkFlagRequired("scopes")
	return cmd
}

func (a *app) appsListCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "list",
		Short: "List apps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				apps, err := h.Apps.List(cmd.Context())
				if err != nil {
					return err
				}
				out := views(apps, func(p store.App) api.AppView { return api.NewAppView(p, "") })
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tCLIENT ID\tNAME\tPUBLIC\tSCOPES")
					for _, p := range out {
						fmt.Fprintf(w, "%d\t%s\t%s\t%v\t%s\n", p.ID, p.ClientID, p.Name, p.Public, strings.Join(p.Scopes, ","))
					}
					return nil
				})
			})
		},
	})
}

func (a *app) appsShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show <id|client_id>",
		Short: "Show an app",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				p, err := h.Apps.Get(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				v := api.NewAppView(p, "")
				return a.render(v, func(w io.Writer) error { return appTable(w, v) })
			})
		},
	}
}

// appTable shows an app, one field a line.
func appTable(w io.Writer, p api.AppView) error {
	kind := "confidential (has a client secret)"
	if p.Public {
		kind = "public (no secret; PKCE required)"
	}
	printFields(w, []field{{"ID", strconv.FormatInt(p.ID, 10)}, {"Name", p.Name}, {"Client ID", p.ClientID}, {"Kind", kind},
		{"Redirect URIs", strings.Join(p.RedirectURIs, ", ")}, {"Scopes", strings.Join(p.Scopes, ", ")},
		{"Optional scopes", dash(strings.Join(p.OptionalScopes, ", "))}, {"Created", p.CreatedAt.Format(time.RFC3339)}})
	return nil
}

func (a *app) appsUpdateCmd() *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:   "update <id|client_id> [--name N] [--redirect-uri U]… [--scopes a,b] [--optional-scopes c] [--refresh-token-rotation=true|false] [--refresh-token-idle-ttl D] [--refresh-token-absolute-ttl D]",
		Short: "Change an app's name, redirect URIs, scopes or refresh-token policy",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				cur, err := h.Apps.Get(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				in := oauth.InputOf(cur)
				f.policy(cmd, &in)
				changed := cmd.Flags().Changed
				if changed("name") {
					in.Name = f.name
				}
				if changed("redirect-uri") {
					in.RedirectURIs = f.redirects
				}
				if changed("scopes") {
					in.Scopes = f.scopes
				}
				if changed("optional-scopes") {
					in.OptionalScopes = f.optional
				}
				p, err := h.Apps.Update(cmd.Context(), args[0], in)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewAppView(p, ""))
			})
		},
	}
	f.register(cmd)
	return cmd
}

func (a *app) appsRotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-secret <id|client_id>",
		Short: "Give an app a new client secret (printed once); the old one stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				p, secret, err := h.Apps.RotateSecret(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return a.printJSON(api.NewAppView(p, secret))
			})
		},
	}
}

func (a *app) appsDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <id|client_id>",
		Short: "Delete an app and revoke every grant it holds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if err := h.Apps.Delete(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "app %s deleted; its grants are revoked\n", args[0])
				return nil
			})
		},
	}
}

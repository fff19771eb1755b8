// Package web serves the hub's pages: the admin console, sign-in and the
// OAuth consent page, server-rendered from embedded templates with htmx for
// live parts, and the signed-in browser sessions behind them. Pages are
// views: every rule they show or apply belongs to a domain package
// (identity, connection, oauth, audit, syncer), which the API and the
// command line call too. This package decides only how a page looks and
// which buttons a person is offered.
package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// Services are the domain services the console's pages call: the same ones
// behind the admin API and the command line.
type Services struct {
	Store       store.Store
	Identity    *identity.Service
	CRM         *crm.Service
	Apps        *oauth.Apps
	Grants      *oauth.Grants
	PrivateApps *oauth.PrivateApps
	AdminTokens *oauth.AdminTokens
	OAuth       *oauth.Server
	Connections *connection.Service
	Syncer      *syncer.Engine
	Webhooks    *audit.Webhooks
	Audit       *audit.Log
	// Enqueue asks for a sync run of a connection.
	Enqueue func(ctx context.Context, connectionID int64, trigger string) error
}

// Console is the admin console and the pages around it (sign-in, consent).
type Console struct {
	Services
	sessions *Sessions
	log      *slog.Logger
}

// NewConsole returns the console over the hub's services.
func NewConsole(s Services, sessions *Sessions, log *slog.Logger) *Console {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Console{Services: s, sessions: sessions, log: log}
}

// Mux is where Routes registers.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Routes registers every page. Each area of the console registers its own
// routes from the file that serves them.
func (c *Console) Routes(mux Mux) {
	r := &router{c: c, mux: mux, forms: FormProtection()}
	r.mux.Handle("GET /static/{file}", http.HandlerFunc(serveStatic))
	r.mux.Handle("GET /{$}", http.HandlerFunc(c.root))
	r.mux.Handle("GET /signin", http.HandlerFunc(c.sessions.signInForm))
	r.mux.Handle("POST /signin", r.forms.Handler(http.HandlerFunc(c.sessions.signIn)))
	r.post("POST /signout", signedIn, c.signOut)
	r.mux.Handle("GET /oauth/authorize", http.HandlerFunc(c.authorize))
	r.mux.Handle("POST /oauth/authorize", r.forms.Handler(http.HandlerFunc(c.authorize)))
	c.homeRoutes(r)
	c.connectionListRoutes(r)
	c.connectionRoutes(r)
	c.syncSettingsRoutes(r)
	c.newConnectionRoutes(r)
	c.userRoutes(r)
	c.integrationRoutes(r)
	c.appRoutes(r)
	c.reviewRoutes(r)
	c.auditRoutes(r)
	c.settingsRoutes(r)
}

// root sends a signed-out person to sign in and a signed-in one home.
func (c *Console) root(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := c.sessions.Current(r); !ok {
		http.Redirect(w, r, SignInURL("/home"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

func (c *Console) signOut(v *visit) error {
	if err := c.sessions.End(v.r.Context(), v.w, v.r); err != nil {
		return err
	}
	http.Redirect(v.w, v.r, "/signin", http.StatusSeeOther)
	return nil
}

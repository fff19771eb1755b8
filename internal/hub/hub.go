// Package hub assembles a running hub from its configuration: it opens the
// store, loads the token key and builds the domain services on top. Both the
// server and the admin commands use it, so they always see the same data.
package hub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
	connpg "github.com/hubsync/hubsync/internal/connector/postgres"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/jobs"
	"github.com/hubsync/hubsync/internal/metrics"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/sqlite"
	"github.com/hubsync/hubsync/internal/syncer"
	"github.com/hubsync/hubsync/internal/vault"
	"github.com/hubsync/hubsync/internal/web"
)

const keyFingerprintMeta = "token_key_fingerprint"

// CallbackPath is where external apps send an admin back after approving a
// connection.
const CallbackPath = "/connections/callback"

// Connectors is the catalog of providers the hub can connect to.
func Connectors() connector.Registry {
	return connector.Registry{"hubspot": hubspot.New(nil), "postgres": connpg.New()}
}

// Hub is an open hub: its store and the services over it.
type Hub struct {
	Store       store.Store
	Identity    *identity.Service
	CRM         *crm.Service
	PrivateApps *oauth.PrivateApps
	AdminTokens *oauth.AdminTokens
	Apps        *oauth.Apps
	Grants      *oauth.Grants
	Sessions    *web.Sessions
	Vault       *vault.Vault
	Connections *connection.Service
	Syncer      *syncer.Engine
	Jobs        *jobs.Queue
	Webhooks    *audit.Webhooks
	Audit       *audit.Log
	// Metrics is what /metrics shows (metrics.go).
	Metrics *metrics.Metrics

	cfg    config.Config
	hasher oauth.Hasher
	log    *slog.Logger
	// oauthNow is the authorization server's clock; nil is time.Now.
	oauthNow func() time.Time
	// scrapeToken guards /metrics on the main listener; empty: open.
	scrapeToken string
	// stopping closes when the hub's HTTP server shuts down (HTTPServer).
	stopping chan struct{}
	stopOnce sync.Once
	// watch waits on the other side of connections that can (watch.go).
	watch *watchers
}

// Open opens the hub cfg describes, creating its data directory, database
// and token key on first use.
func Open(ctx context.Context, cfg config.Config, opts ...Option) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, write, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	h, err := build(ctx, cfg, st, opts)
	if err == nil {
		err = h.openQueue(ctx, write)
	}
	if err == nil {
		h.watchGauges()
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return h, nil
}

// openStore opens the store and, on SQLite, returns its write connection,
// which the job queue shares.
func openStore(ctx context.Context, cfg config.Config) (store.Store, *sql.DB, error) {
	if cfg.UsesPostgres() {
		st, err := postgres.Open(ctx, cfg.DatabaseURL)
		return st, nil, err
	}
	hs, err := sqlite.OpenHandles(ctx, cfg.SQLitePath())
	return hs.Store, hs.Write, err
}

// Option adjusts the services a hub is built from, mostly for tests.
type Option func(*options)

type options struct {
	// serving is the base URL of the server this hub is, if it is one.
	serving     string
	log         *slog.Logger
	identity    []identity.Option
	connections []connection.Option
	webhooks    []audit.Option
	syncer      []syncer.Option
	oauthNow    func() time.Time
	// metricsToken: see WithMetricsToken.
	metricsToken string
}

// Serving says the hub is the server browsers reach at baseURL: external
// apps send the admin back there after approving a connection, and the hub
// records the URL for the command line, which makes approval links too.
func Serving(baseURL string) Option { return func(b *options) { b.serving = baseURL } }

// WithLogger sets the logger of the hub's background work.
func WithLogger(l *slog.Logger) Option { return func(b *options) { b.log = l } }

// WithIdentity passes options to the identity service.
func WithIdentity(o ...identity.Option) Option {
	return func(b *options) { b.identity = append(b.identity, o...) }
}

// WithConnections passes options to the connection service.
func WithConnections(o ...connection.Option) Option {
	return func(b *options) { b.connections = append(b.connections, o...) }
}

// WithSyncer passes options to the sync engine.
func WithSyncer(o ...syncer.Option) Option {
	return func(b *options) { b.syncer = append(b.syncer, o...) }
}

// WithOAuthClock sets the clock of the authorization server and of the
// grant list, so tests can let refresh-token lifetimes pass.
func WithOAuthClock(now func() time.Time) Option { return func(b *options) { b.oauthNow = now } }

// WithWebhooks passes options to the webhooks.
func WithWebhooks(o ...audit.Option) Option {
	return func(b *options) { b.webhooks = append(b.webhooks, o...) }
}

func build(ctx context.Context, cfg config.Config, st store.Store, opts []Option) (*Hub, error) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	key, err := oauth.LoadOrCreateKey(cfg.KeyFile())
	if err != nil {
		return nil, err
	}
	hasher, err := oauth.NewHasher(key)
	if err != nil {
		return nil, err
	}
	if err := checkKey(ctx, st, hasher, cfg.KeyFile()); err != nil {
		return nil, err
	}
	v, err := vault.Open(cfg.VaultFile())
	if err != nil {
		return nil, err
	}
	records := crm.NewService(st)
	if err := records.Prepare(ctx); err != nil {
		return nil, fmt.Errorf("prepare indexes: %w", err)
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	meter := metrics.New()
	hooks := audit.NewWebhooks(st, v, append([]audit.Option{audit.WithLogger(log)}, o.webhooks...)...)
	var h *Hub
	// The catch-up run is labelled with what repaired the connection.
	catchUp := func(ctx context.Context, id int64, by string) {
		if err := h.Enqueue(ctx, id, by); err != nil {
			log.Warn("could not queue the catch-up run", "connection", id, "error", err)
		}
	}
	base, err := publicURL(ctx, st, cfg, o.serving)
	if err != nil {
		return nil, err
	}
	callback := ""
	if base != "" {
		callback = base + CallbackPath
	}
	conns := connection.New(st, v, meteredConnectors(Connectors(), meter), callback,
		append([]connection.Option{connection.WithNotifier(hooks), connection.WithLogger(log), connection.WithRepaired(catchUp)},
			o.connections...)...)
	ident := identity.NewService(st, append(append([]identity.Option{identity.WithLogger(log)}, o.identity...),
		identity.WithEventHook(conns.OnIdentityEvents))...)
	h = &Hub{
		Connections: conns,
		Syncer: syncer.New(st, records, conns,
			append([]syncer.Option{syncer.WithLogger(log), syncer.WithRunObserver(meter.Run)}, o.syncer...)...),
		Metrics:     meter,
		Webhooks:    hooks,
		Audit:       audit.NewLog(st),
		Store:       st,
		Identity:    ident,
		CRM:         records,
		PrivateApps: oauth.NewPrivateApps(st, hasher),
		AdminTokens: oauth.NewAdminTokens(st, hasher),
		Apps:        oauth.NewApps(st, hasher),
		Grants:      oauth.NewGrants(st, o.oauthNow),
		Sessions:    web.NewSessions(st, hasher.Hash, ident, cfg.PublicURL),
		Vault:       v,
		cfg:         cfg,
		hasher:      hasher,
		log:         log,
		oauthNow:    o.oauthNow,
		watch:       newWatchers(),
		scrapeToken: o.metricsToken,
		stopping:    make(chan struct{}),
	}
	return h, nil
}

// publicURLMeta is the meta key under which a server records its URL.
const publicURLMeta = "public_url"

// publicURL is the base URL the hub's OAuth callbacks use. A server uses
// its own and records it; anything else uses the URL it was given
// (--public-url), else the one the server recorded, else none: approval
// links cannot be made then, rather than made for a guessed address.
func publicURL(ctx context.Context, st store.Store, cfg config.Config, serving string) (string, error) {
	if serving != "" {
		url := strings.TrimSuffix(serving, "/")
		return url, st.Update(ctx, func(tx store.Tx) error { return tx.SetMeta(ctx, publicURLMeta, url) })
	}
	if cfg.PublicURL != "" {
		return cfg.BaseURL(), nil
	}
	var url string
	err := st.View(ctx, func(tx store.Tx) error {
		var err error
		url, err = tx.Meta(ctx, publicURLMeta)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return url, err
}

// checkKey makes sure the token key is the one the database's hashes were
// made with: with another key every token would silently stop working.
func checkKey(ctx context.Context, st store.Store, h oauth.Hasher, keyFile string) error {
	return st.Update(ctx, func(tx store.Tx) error {
		stored, err := tx.Meta(ctx, keyFingerprintMeta)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return tx.SetMeta(ctx, keyFingerprintMeta, h.Fingerprint())
		case err != nil:
			return err
		case stored != h.Fingerprint():
			return fmt.Errorf("%w: %s is not the key this database was set up with; copy the original key file there (every replica needs the same one) or point --token-key-file at it",
				store.ErrKeyMismatch, keyFile)
		}
		return nil
	})
}

// Handler returns the hub's HTTP handler: the CRM API, the OAuth server and
// the pages behind it.
func (h *Hub) Handler(log *slog.Logger) http.Handler {
	proxies, _ := h.cfg.Proxies() // checked by Open
	return web.BehindProxies(proxies, h.api(log))
}

// Routes are the patterns of every route the hub serves.
func (h *Hub) Routes() []string { return h.api(slog.New(slog.DiscardHandler)).Patterns() }

func (h *Hub) api(log *slog.Logger) *api.Server {
	srv := h.OAuthServer(log)
	admin := api.NewAdmin(api.AdminServices{Apps: h.Apps, Grants: h.Grants, PrivateApps: h.PrivateApps, Identity: h.Identity, Sessions: h.Sessions,
		AdminTokens: h.AdminTokens, Connections: h.Connections, Webhooks: h.Webhooks, Audit: h.Audit, Syncer: h.Syncer,
		Enqueue: h.Enqueue}, log)
	oauthRoutes := func(mux api.Mux) { srv.Routes(mux) }
	console := h.console(srv, log)
	pages := func(mux api.Mux) { console.Routes(mux) }
	auth := timedAuth{inner: oauth.NewAuthenticator(h.PrivateApps, srv), m: h.Metrics}
	handler := api.New(h.CRM, auth, h.Store.Ping, log, oauthRoutes, admin.Routes, pages, h.metricsRoute)
	handler.BodyTimeout = h.cfg.BodyTimeout
	handler.Observe = h.Metrics.HTTP
	handler.Stopping = h.stopping
	return handler
}

func (h *Hub) console(srv *oauth.Server, log *slog.Logger) *web.Console {
	return web.NewConsole(web.Services{Store: h.Store, Identity: h.Identity, CRM: h.CRM, Apps: h.Apps, Grants: h.Grants,
		PrivateApps: h.PrivateApps, AdminTokens: h.AdminTokens, OAuth: srv, Connections: h.Connections, Syncer: h.Syncer,
		Webhooks: h.Webhooks, Audit: h.Audit, Enqueue: h.Enqueue}, h.Sessions, log)
}

// PageRoutes are the patterns of the console's pages (and sign-in and
// consent), which tests of the API leave to the console's own tests.
func (h *Hub) PageRoutes() []string {
	var m patterns
	h.console(nil, slog.New(slog.DiscardHandler)).Routes(&m)
	return m
}

type patterns []string

func (p *patterns) Handle(pattern string, _ http.Handler) { *p = append(*p, pattern) }

// OAuthServer returns the hub's authorization server.
func (h *Hub) OAuthServer(log *slog.Logger) *oauth.Server {
	return oauth.NewServer(h.Store, h.hasher, h.Apps, h.Identity,
		oauth.ServerConfig{PublicURL: h.cfg.PublicURL, AccessTokenTTL: h.cfg.AccessTokenTTL, TokenRate: h.cfg.TokenRate,
			Now: h.oauthNow}, log)
}

// UpkeepEvery is how often the hub checks which connections need a health
// check or a token refresh.
const UpkeepEvery = time.Second

// Background runs the hub's upkeep until ctx ends: connection health checks
// and token refreshes ahead of expiry, webhook deliveries, and marking the
// runs of processes that died as interrupted. Every replica
// runs it; both claim their work in the database. The channel closes when
// everything has stopped.
func (h *Hub) Background(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { h.every(ctx, UpkeepEvery, "connection upkeep failed", h.Connections.Tick) })
	wg.Go(func() { h.Webhooks.Run(ctx) })
	wg.Go(func() { h.watchFeed(ctx) })
	wg.Go(func() {
		h.every(ctx, forgetEvery, "could not delete old sign-in failure counts", h.forgetSignInFailures)
	})
	// Before this process starts runs, whatever is still running was left
	// by a process that died.
	const interruptedFailed = "looking for interrupted sync runs failed"
	h.try(ctx, interruptedFailed, h.lookForInterrupted)
	if h.cfg.UsesPostgres() {
		wg.Go(func() { h.every(ctx, InterruptedEvery, interruptedFailed, h.lookForInterrupted) })
	}
	if err := h.Jobs.Start(ctx); err != nil {
		h.log.Error("the job queue did not start; sync runs wait until it does", "error", err)
	}
	// Whatever changed while no replica ran is delivered now, not at the
	// schedule's first round.
	wg.Go(func() { h.catchUpAll(ctx) })
	go func() { wg.Wait(); close(done) }()
	return done
}

// forgetEvery is how often old sign-in failure counts are deleted.
const forgetEvery = time.Minute

// forgetSignInFailures deletes forgotten sign-in failure counts, so the
// table holds only recent failures.
func (h *Hub) forgetSignInFailures(ctx context.Context) error {
	_, err := h.Identity.ForgetSignInFailures(ctx)
	return err
}

// every calls work every d until ctx ends, logging a failure as failed.
func (h *Hub) every(ctx context.Context, d time.Duration, failed string, work func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.try(ctx, failed, work)
		}
	}
}

// try calls work once, logging a failure as failed unless ctx has ended.
func (h *Hub) try(ctx context.Context, failed string, work func(context.Context) error) {
	if err := work(ctx); err != nil && ctx.Err() == nil {
		h.log.Warn(failed, "error", err)
	}
}

// Close stops the job queue and releases the store.
func (h *Hub) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Jobs.Stop(ctx); err != nil {
		return fmt.Errorf("stop the job queue (the store stays open): %w", err)
	}
	return h.Store.Close()
}

package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// firstAdminEmail is the super admin serve creates on an empty data dir.
const firstAdminEmail = "admin@hubsync.local"

// serveFlags are serve's settings that only the serving process reads.
type serveFlags struct {
	debugListen  string
	metricsToken string
	cpuProfile   string
}

func (a *app) serveCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hub (initialising an empty data directory first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return a.serve(ctx, f)
		},
	}
	cmd.Flags().StringVar(&a.cfg.Listen, "listen", envOr("HUBSYNC_LISTEN", config.DefaultListen), "address to listen on (env HUBSYNC_LISTEN)")
	cmd.Flags().StringVar(&a.cfg.PublicURL, "public-url", os.Getenv("HUBSYNC_PUBLIC_URL"), "base URL apps and browsers reach the hub at, for OAuth; "+
		"recorded for the command line's approval links (env HUBSYNC_PUBLIC_URL; default: the host each request names, and http://<listen address> for links)")
	cmd.Flags().DurationVar(&a.cfg.AccessTokenTTL, "access-token-ttl", oauth.DefaultAccessTokenTTL, "lifetime of OAuth access tokens")
	cmd.Flags().Float64Var(&a.cfg.TokenRate, "token-rate", oauth.DefaultTokenRate, "token-endpoint requests per second allowed to each OAuth client (negative: no limit)")
	cmd.Flags().StringSliceVar(&a.cfg.TrustedProxies, "trusted-proxy", envList("HUBSYNC_TRUSTED_PROXIES"), "address or CIDR block of a load balancer whose X-Forwarded-For names the client, for sign-in throttling (repeatable; env HUBSYNC_TRUSTED_PROXIES, comma-separated)")
	cmd.Flags().DurationVar(&a.cfg.BodyTimeout, "body-timeout", api.DefaultBodyTimeout, "how long a request body may take to arrive before the request is answered 408")
	cmd.Flags().StringVar(&f.debugListen, "debug-listen", os.Getenv("HUBSYNC_DEBUG_LISTEN"), "address of a separate listener serving Go's profiles (/debug/pprof/) and /metrics without authentication; "+
		"off when empty; bind it where only operators reach it, such as 127.0.0.1:6060 (env HUBSYNC_DEBUG_LISTEN)")
	cmd.Flags().StringVar(&f.metricsToken, "metrics-token", os.Getenv("HUBSYNC_METRICS_TOKEN"), "bearer token a scraper must present for /metrics on the main listener; "+
		"empty leaves it open (env HUBSYNC_METRICS_TOKEN)")
	// For developers measuring the real process: hubsync bench --profile-dir
	// passes it to every hub it starts.
	cmd.Flags().StringVar(&f.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the whole run to this file")
	cmd.Flags().MarkHidden("cpu-profile")
	return cmd
}

func (a *app) serve(ctx context.Context, f serveFlags) error {
	log := slog.New(slog.NewJSONHandler(a.stderr, nil))
	hub.TuneGC()
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// Listening first gives the address, which with --listen :0 is known
	// only now and is the hub's URL when no --public-url names another.
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return err
	}
	served := a.cfg
	served.Listen = ln.Addr().String()
	h, err := hub.Open(ctx, a.cfg, hub.WithLogger(log), hub.Serving(served.BaseURL()), hub.WithMetricsToken(f.metricsToken))
	if err != nil {
		ln.Close()
		return err
	}
	defer h.Close()
	if err := a.initIfEmpty(ctx, h); err != nil {
		ln.Close()
		return err
	}
	stopDebug, err := a.serveDebug(h, f.debugListen, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopDebug()
	srv := h.HTTPServer(log)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	background, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	upkeep := h.Background(background)
	defer func() {
		stopBackground()
		<-upkeep
	}()
	log.Info("hubsync listening", "addr", ln.Addr().String(), "database", databaseKind(a.cfg))
	fmt.Fprintf(a.stdout, "hubsync listening on http://%s\n", ln.Addr())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// initIfEmpty sets up a hub on first start so one command is enough on a
// fresh machine. The generated password is printed once and never stored.
func (a *app) initIfEmpty(ctx context.Context, h *hub.Hub) error {
	_, err := h.Identity.Account(ctx)
	if !errors.Is(err, identity.ErrNotInitialized) {
		return err
	}
	password := rand.Text()
	_, admin, err := h.Identity.Init(ctx, identity.InitParams{AdminEmail: firstAdminEmail, AdminPassword: password})
	if errors.Is(err, identity.ErrAlreadyInitialized) {
		return nil // another replica won the race
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Initialised a new hub. Super admin: %s  password: %s  (shown once; change it with hubsync users update)\n",
		admin.Email, password)
	return nil
}

func databaseKind(cfg config.Config) string {
	if cfg.UsesPostgres() {
		return "postgresql"
	}
	return "sqlite:" + cfg.SQLitePath()
}

// startCPUProfile profiles the process into path until the returned
// function runs; with no path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// serveDebug starts the debug listener if --debug-listen names one, and
// returns what stops it.
func (a *app) serveDebug(h *hub.Hub, addr string, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener: %w", err)
	}
	// No WriteTimeout: a CPU profile or trace streams for as long as asked.
	srv := &http.Server{Handler: h.DebugHandler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	log.Info("debug listener (pprof, metrics)", "addr", ln.Addr().String())
	fmt.Fprintf(a.stdout, "hubsync debug listener on http://%s/debug/pprof/\n", ln.Addr())
	return func() { srv.Close() }, nil
}

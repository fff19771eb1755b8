package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// Side is one of the two hubs: open, served on loopback, and (once
// started) running its background work.
type Side struct {
	// Name is how the story calls it ("Acme CRM", "our hub").
	Name string
	Hub  *hub.Hub
	// URL is the base URL browsers reach it at.
	URL string
	// Domain is the email domain of its people (acme.example).
	Domain string

	srv     *http.Server
	served  chan error
	logFile *os.File
	stopBG  context.CancelFunc
	bg      <-chan struct{}
}

// openSide opens the hub in dir and serves it on 127.0.0.1:port (0 picks
// a free port), under the address host names. Its JSON log goes to
// hubsync.log in dir, so the terminal keeps the story.
//
// The two hubs go by different host names (127.0.0.1 and localhost):
// browsers keep cookies per host, not per port, so under one name signing
// in to Acme to approve would sign the browser out of our hub.
func openSide(ctx context.Context, name, domain, host, dir string, port int) (*Side, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("%s cannot listen on port %d: %w (choose another with its port flag, or 0 for any)", name, port, err)
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "hubsync.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		ln.Close()
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(logFile, nil))
	url := fmt.Sprintf("http://%s:%d", host, ln.Addr().(*net.TCPAddr).Port)
	cfg := config.Config{DataDir: dir, Listen: ln.Addr().String(), PublicURL: url,
		AccessTokenTTL: oauth.DefaultAccessTokenTTL, TokenRate: oauth.DefaultTokenRate}
	h, err := hub.Open(ctx, cfg, hub.WithLogger(log), hub.Serving(url))
	if err != nil {
		ln.Close()
		logFile.Close()
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	s := &Side{Name: name, Hub: h, URL: url, Domain: domain, logFile: logFile, served: make(chan error, 1),
		srv: h.HTTPServer(log)}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

// start runs the hub's background work (sync runs, health checks,
// polling), as serve does.
func (s *Side) start() {
	ctx, stop := context.WithCancel(context.Background())
	s.stopBG, s.bg = stop, s.Hub.Background(ctx)
}

// close stops serving, then the background work, then the hub.
func (s *Side) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if served := <-s.served; !errors.Is(served, http.ErrServerClosed) {
		err = errors.Join(err, served)
	}
	if s.stopBG != nil {
		s.stopBG()
		<-s.bg
	}
	err = errors.Join(err, s.Hub.Close())
	return errors.Join(err, s.logFile.Close())
}

// email is a person's address on this side.
func (s *Side) email(local string) string { return local + "@" + s.Domain }

// admin is the side's first admin, who the demo acts as.
func (s *Side) admin(ctx context.Context) (audit.Actor, error) {
	u, err := s.Hub.Identity.User(ctx, s.email("admin"))
	if err != nil {
		return audit.Actor{}, err
	}
	return audit.Actor{ID: u.ID, Label: u.Email}, nil
}

// initialised reports whether the hub has its account yet.
func (s *Side) initialised(ctx context.Context) (bool, error) {
	_, err := s.Hub.Identity.Account(ctx)
	if errors.Is(err, identity.ErrNotInitialized) {
		return false, nil
	}
	return err == nil, err
}

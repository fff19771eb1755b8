// Package connection owns the hub's outbound connections: integrations
// (a provider plus the hub's registration with it), connecting and
// reconnecting, the sealed credential and its single-flight refresh, the
// status machine with its reasons, what identity changes do to
// connections, transfer and offboarding, diagnose and review. It does not
// move records (the sync engine does) nor speak to external apps itself
// (connectors do).
package connection

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// Auth modes: whose identity the connection uses on the hub's side.
const (
	ModeUser = "user" // the connector user's permissions
	ModeApp  = "app"  // the account's
)

// Errors, checked with errors.Is.
var (
	ErrForbidden = errors.New("forbidden")
	ErrInvalid   = errors.New("invalid")
	// ErrPreflight is a connection whose hub identity may not touch the
	// objects it syncs.
	ErrPreflight = errors.New("preflight failed")
	// ErrHeld is a connection that cannot be used until a person acts.
	ErrHeld = errors.New("connection is not usable")
	// ErrHasDependents is a user who still owns connections.
	ErrHasDependents = errors.New("user owns connections")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Sealer seals secrets at rest; the vault implements it.
type Sealer interface {
	Seal(plaintext []byte, aad string) ([]byte, error)
	Unseal(ciphertext []byte, aad string) ([]byte, error)
}

// Notifier hears of breaks and recoveries inside the transaction that
// records them; the webhooks implement it.
type Notifier interface {
	Enqueue(ctx context.Context, tx store.Tx, e audit.Event) error
}

// Service applies the connection rules.
type Service struct {
	st         store.Store
	vault      Sealer
	connectors connector.Registry
	notify     Notifier
	now        func() time.Time
	log        *slog.Logger
	// callbackURL is where external apps send the admin back after consent.
	callbackURL string
	flights     singleflight.Group
	touched     sync.Map // connection id → when this process last noted its use
	// replica names this process in refresh leases.
	replica string
	tuning  Tuning
	// repaired hears of a connection that can sync again after a
	// reconnect or resume, so the catch-up run starts at once.
	repaired func(ctx context.Context, id int64, by string)
}

// What made a connection able to sync again, as WithRepaired hears it.
const (
	RepairedByReconnect = "reconnect"
	RepairedByResume    = "resume"
	// RepairedByCheck is a check that found a held connection fixed (a
	// table given its index again, say).
	RepairedByCheck = "check"
	// RepairedByConsent is the first approval of an OAuth connection.
	RepairedByConsent = "connect"
)

// Tuning holds the timings of refresh and health checks.
type Tuning struct {
	// RefreshAhead renews a token this long before it expires.
	RefreshAhead time.Duration
	// RefreshLease is how long a refresher may hold a connection before
	// another may take over (a replica that died mid-refresh).
	RefreshLease time.Duration
	// CheckEvery is the pause between health checks of a healthy
	// connection.
	CheckEvery time.Duration
	// UnreachableAfter transient failures in a row show a connection as
	// degraded (external_unreachable).
	UnreachableAfter int
	// MaxBackoff caps the wait between retries after transient failures.
	MaxBackoff time.Duration
	// AttemptTTL is how long an OAuth connect may wait for its callback.
	AttemptTTL time.Duration
	// Schedule is how often the job queue runs each syncing connection
	// (its default interval); a connection with no successful run within
	// twice it needs attention.
	Schedule time.Duration
}

// DefaultTuning is what the server runs with.
var DefaultTuning = Tuning{
	RefreshAhead:     5 * time.Minute,
	RefreshLease:     30 * time.Second,
	CheckEvery:       time.Minute,
	UnreachableAfter: 3,
	MaxBackoff:       time.Minute,
	AttemptTTL:       15 * time.Minute,
	Schedule:         time.Minute,
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithTuning replaces DefaultTuning.
func WithTuning(t Tuning) Option { return func(s *Service) { s.tuning = t } }

// WithNotifier sets who hears of breaks and recoveries.
func WithNotifier(n Notifier) Option { return func(s *Service) { s.notify = n } }

// WithRepaired sets who hears that a connection can sync again, and by
// what (RepairedByReconnect, RepairedByResume).
func WithRepaired(f func(ctx context.Context, id int64, by string)) Option {
	return func(s *Service) { s.repaired = f }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service. callbackURL is the hub's public URL of the OAuth
// callback, /connections/callback.
func New(st store.Store, v Sealer, connectors connector.Registry, callbackURL string, opts ...Option) *Service {
	s := &Service{st: st, vault: v, connectors: connectors, callbackURL: callbackURL,
		now: time.Now, log: slog.New(slog.DiscardHandler), replica: randomHex(8), tuning: DefaultTuning}
	for _, o := range opts {
		o(s)
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

func (s *Service) clock() time.Time { return s.now().UTC() }

func (s *Service) tellRepaired(ctx context.Context, id int64, by string) {
	if s.repaired != nil {
		s.repaired(ctx, id, by)
	}
}

package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// Event kinds a webhook can subscribe to.
const (
	EventBroken    = "connection.broken"
	EventRecovered = "connection.recovered"
)

// EventKinds are every kind, in the order they are listed.
var EventKinds = []string{EventBroken, EventRecovered}

// secretPrefix starts every webhook signing secret, so one found in a log or
// a paste is recognisable.
const secretPrefix = "whsec_"

// Sealer seals webhook secrets; the vault implements it.
type Sealer interface {
	Seal(plaintext []byte, aad string) ([]byte, error)
	Unseal(ciphertext []byte, aad string) ([]byte, error)
}

// Webhooks manages webhook subscriptions and delivers connection events to
// them.
type Webhooks struct {
	store       store.Store
	sealer      Sealer
	client      *http.Client
	now         func() time.Time
	cooldown    time.Duration
	maxAttempts int
	backoff     func(attempt int) time.Duration
	poll        time.Duration
	lease       time.Duration
	batch       int
	log         *slog.Logger
}

// Option changes a Webhooks default.
type Option func(*Webhooks)

// WithHTTPClient sends deliveries with c. Redirects are the client's
// business; the default client does not follow them.
func WithHTTPClient(c *http.Client) Option { return func(w *Webhooks) { w.client = c } }

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(w *Webhooks) { w.now = now } }

// WithCooldown sets how long after one event of a connection the next event
// for the same webhook waits (default 5 minutes).
func WithCooldown(d time.Duration) Option { return func(w *Webhooks) { w.cooldown = d } }

// WithRetries sets how many attempts a delivery gets and how long to wait
// after the attempt numbered n (0 for the first) fails. The default is 10
// attempts, 2s·2^n with ±20% jitter, capped at 10 minutes.
func WithRetries(maxAttempts int, backoff func(n int) time.Duration) Option {
	return func(w *Webhooks) { w.maxAttempts, w.backoff = maxAttempts, backoff }
}

// WithPollInterval sets how often Run looks for due deliveries (default 250ms).
func WithPollInterval(d time.Duration) Option { return func(w *Webhooks) { w.poll = d } }

// WithLease sets how long a claimed delivery is hidden from other passes and
// replicas while it is being sent (default 1 minute). A sender that dies
// mid-send releases it when the lease ends.
func WithLease(d time.Duration) Option { return func(w *Webhooks) { w.lease = d } }

// WithLogger logs delivery outcomes to l (never a secret, never a URL).
func WithLogger(l *slog.Logger) Option { return func(w *Webhooks) { w.log = l } }

// Defaults.
const (
	DefaultCooldown     = 5 * time.Minute
	DefaultMaxAttempts  = 10
	DefaultPollInterval = 250 * time.Millisecond
	DefaultLease        = time.Minute
	maxBackoff          = 10 * time.Minute
	deliveryBatch       = 16
)

// DefaultBackoff waits 2s·2^n, ±20%, at most 10 minutes.
func DefaultBackoff(n int) time.Duration {
	d := maxBackoff
	if n < 20 {
		d = min(2*time.Second<<n, maxBackoff)
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
	return min(d, maxBackoff)
}

// NewWebhooks returns the webhook manager. Call Run to deliver.
func NewWebhooks(st store.Store, s Sealer, opts ...Option) *Webhooks {
	w := &Webhooks{
		store: st, sealer: s, now: time.Now,
		client: &http.Client{
			Timeout: 10 * time.Second,
			// A receiver that moved tells us with a failed delivery, not by
			// steering signed payloads somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		cooldown: DefaultCooldown, maxAttempts: DefaultMaxAttempts, backoff: DefaultBackoff,
		poll: DefaultPollInterval, lease: DefaultLease, batch: deliveryBatch, log: slog.Default(),
	}
	for _, o := range opts {
		o(w)
	}
	if w.maxAttempts < 1 {
		w.maxAttempts = 1
	}
	return w
}

// Create subscribes url to events (every kind when empty) and returns the
// webhook with its signing secret, which is stored sealed and cannot be
// shown again.
func (w *Webhooks) Create(ctx context.Context, a Actor, rawURL string, events []string) (store.Webhook, string, error) {
	if err := checkURL(rawURL); err != nil {
		return store.Webhook{}, "", err
	}
	events, err := normalizeEvents(events)
	if err != nil {
		return store.Webhook{}, "", err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return store.Webhook{}, "", err
	}
	secret := secretPrefix + hex.EncodeToString(buf)
	now := w.now().UTC()
	hook := store.Webhook{URL: rawURL, Events: events, CreatedBy: a.ID, CreatedAt: now}
	err = w.store.Update(ctx, func(tx store.Tx) (err error) {
		if hook, err = tx.CreateWebhook(ctx, hook); err != nil {
			return err
		}
		// The secret is bound to the row's id, so it is sealed once the id exists.
		if hook.Secret, err = w.sealer.Seal([]byte(secret), vault.WebhookAAD(hook.ID)); err != nil {
			return fmt.Errorf("seal webhook secret: %w", err)
		}
		if err := tx.UpdateWebhook(ctx, hook); err != nil {
			return err
		}
		return Record(ctx, tx, now, a, "webhook.create", "webhook", strconv.FormatInt(hook.ID, 10), nil, webhookFields(hook))
	})
	if err != nil {
		return store.Webhook{}, "", err
	}
	hook.Secret = nil
	return hook, secret, nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%w: webhook URL %q must be an absolute http(s) URL", ErrInvalid, raw)
	case u.User != nil:
		// It would be stored and shown in clear; the signature authenticates us.
		return fmt.Errorf("%w: webhook URL must not carry credentials", ErrInvalid)
	case u.Fragment != "":
		return fmt.Errorf("%w: webhook URL must not have a fragment", ErrInvalid)
	}
	return nil
}

func normalizeEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return slices.Clone(EventKinds), nil
	}
	var out []string
	for _, e := range events {
		e = strings.TrimSpace(e)
		if !slices.Contains(EventKinds, e) {
			return nil, fmt.Errorf("%w: unknown webhook event %q (known: %s)", ErrInvalid, e, strings.Join(EventKinds, ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(EventKinds, a) - slices.Index(EventKinds, b) })
	return out, nil
}

// List returns every webhook, without its sealed secret.
func (w *Webhooks) List(ctx context.Context) ([]store.Webhook, error) {
	var hooks []store.Webhook
	err := w.store.View(ctx, func(tx store.Tx) (err error) {
		hooks, err = tx.Webhooks(ctx)
		return err
	})
	for i := range hooks {
		hooks[i].Secret = nil
	}
	return hooks, err
}

// Delete removes a webhook; store.ErrNotFound when there is none.
func (w *Webhooks) Delete(ctx context.Context, a Actor, id int64) error {
	return w.store.Update(ctx, func(tx store.Tx) error {
		hook, err := tx.Webhook(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(ctx, id); err != nil {
			return err
		}
		return Record(ctx, tx, w.now(), a, "webhook.delete", "webhook", strconv.FormatInt(id, 10), webhookFields(hook), nil)
	})
}

// Deliveries lists a webhook's recent deliveries, newest first, with the
// receiver's answers; store.ErrNotFound when there is no such webhook.
func (w *Webhooks) Deliveries(ctx context.Context, webhookID int64, limit int) ([]store.Delivery, error) {
	if limit <= 0 || limit > MaxListLimit {
		limit = DefaultListLimit
	}
	var ds []store.Delivery
	err := w.store.View(ctx, func(tx store.Tx) (err error) {
		if _, err := tx.Webhook(ctx, webhookID); err != nil {
			return err
		}
		ds, err = tx.Deliveries(ctx, webhookID, limit)
		return err
	})
	return ds, err
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// webhookFields is what the audit log keeps of a webhook: never its secret.
func webhookFields(h store.Webhook) map[string]string {
	return map[string]string{"url": shownURL(h.URL), "events": strings.Join(h.Events, ",")}
}

// shownURL is a webhook URL as the audit log keeps it: without its query,
// which may carry a receiver's token.
func shownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

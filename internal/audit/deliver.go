package audit

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// job is a claimed delivery and the webhook it goes to.
type job struct {
	d    store.Delivery
	hook store.Webhook
}

type pair struct{ hook, conn int64 }

// Run delivers due webhooks every poll interval until ctx ends, then
// returns. Every replica may run it: deliveries are claimed, not shared.
func (w *Webhooks) Run(ctx context.Context) {
	t := time.NewTicker(w.poll)
	defer t.Stop()
	for {
		n, err := w.DeliverDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log.Error("webhook delivery pass", "error", err)
		}
		if n == w.batch {
			continue // a full batch: more are probably waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverDue runs one pass: it claims due deliveries in a short transaction,
// sends them outside any transaction and records each outcome. It returns how
// many it sent, successfully or not, and waits for every send to finish.
func (w *Webhooks) DeliverDue(ctx context.Context) (int, error) {
	jobs, err := w.claim(ctx)
	if err != nil {
		return 0, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { errs[i] = w.deliver(ctx, j) })
	}
	wg.Wait()
	return len(jobs), errors.Join(errs...)
}

// claim takes up to a batch of due deliveries. Each is hidden from other
// passes by pushing its next attempt a lease ahead, and its attempt is
// counted now, so Enqueue never replaces a delivery that may be on the wire.
// Deliveries the receiver no longer needs are suppressed here instead.
func (w *Webhooks) claim(ctx context.Context) ([]job, error) {
	var jobs []job
	err := w.store.Update(ctx, func(tx store.Tx) error {
		jobs = jobs[:0]
		now := w.now().UTC()
		due, err := tx.DueDeliveries(ctx, now, w.batch)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		// Read without row locks: locking webhooks in delivery order could
		// deadlock two replicas claiming at once.
		all, err := tx.Webhooks(ctx)
		if err != nil {
			return err
		}
		hooks := make(map[int64]store.Webhook, len(all))
		for _, h := range all {
			hooks[h.ID] = h
		}
		claimed := map[pair]bool{}
		for _, d := range due {
			p := pair{d.WebhookID, d.ConnectionID}
			if claimed[p] {
				// Two events of one connection in flight at once could arrive
				// out of order; the later one waits for the next pass.
				continue
			}
			hook, ok := hooks[d.WebhookID]
			if !ok {
				d.State, d.LastError = store.DeliveryFailed, "webhook deleted"
				if err := tx.UpdateDelivery(ctx, d); err != nil {
					return err
				}
				continue
			}
			if why, err := w.stale(ctx, tx, d); err != nil {
				return err
			} else if why != "" {
				d.State, d.LastError = store.DeliverySuppressed, why
				if err := tx.UpdateDelivery(ctx, d); err != nil {
					return err
				}
				continue
			}
			d.Attempts++
			d.NextAttemptAt = now.Add(w.lease)
			if err := tx.UpdateDelivery(ctx, d); err != nil {
				return err
			}
			claimed[p] = true
			jobs = append(jobs, job{d: d, hook: hook})
		}
		return nil
	})
	return jobs, err
}

// stale says why d need not be sent, or "" when it must. A test event is
// always sent: it tells of no state.
func (w *Webhooks) stale(ctx context.Context, tx store.Tx, d store.Delivery) (string, error) {
	if d.Event == EventTest {
		return "", nil
	}
	last, err := tx.LastDelivery(ctx, d.WebhookID, d.ConnectionID, store.DeliveryDelivered)
	switch {
	case isNotFound(err):
		return "", nil
	case err != nil:
		return "", err
	case last.ID > d.ID:
		return "a newer event was delivered", nil
	case last.Event == d.Event:
		return "the receiver already has this state", nil
	}
	return "", nil
}

// deliver sends one claimed delivery and records the outcome.
func (w *Webhooks) deliver(ctx context.Context, j job) error {
	d := j.d
	ok, why, code := false, "webhook secret cannot be opened", 0
	secret, err := w.sealer.Unseal(j.hook.Secret, vault.WebhookAAD(j.hook.ID))
	if err == nil {
		ok, why, code = w.post(ctx, j, string(secret))
	}
	if !ok && ctx.Err() != nil {
		// Shutting down: the lease hands the delivery to the next pass.
		return nil
	}
	now := w.now().UTC()
	d.StatusCode = code
	switch {
	case ok:
		d.State, d.DeliveredAt, d.LastError = store.DeliveryDelivered, now, ""
	case d.Attempts >= w.maxAttempts:
		d.State, d.LastError = store.DeliveryFailed, why
	default:
		d.NextAttemptAt, d.LastError = now.Add(w.backoff(d.Attempts-1)), why
	}
	w.log.Log(ctx, logLevel(d.State), "webhook delivery", "delivery", d.ID, "webhook", d.WebhookID,
		"connection", d.ConnectionID, "event", d.Event, "attempt", d.Attempts, "state", d.State, "error", why)
	// The send happened; record it even if ctx ended meanwhile.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = w.store.Update(fctx, func(tx store.Tx) error { return tx.UpdateDelivery(fctx, d) })
	if err != nil && !isNotFound(err) { // not found: the webhook was deleted meanwhile
		return fmt.Errorf("record delivery %d: %w", d.ID, err)
	}
	return nil
}

// post sends the delivery and reports whether the receiver took it, and if
// not, why in words that hold no secret and no URL, with the HTTP status the
// receiver answered (0 when none came).
func (w *Webhooks) post(ctx context.Context, j job, secret string) (bool, string, int) {
	// Bounded well inside the lease, so no other pass claims it mid-send.
	ctx, cancel := context.WithTimeout(ctx, w.lease/2)
	defer cancel()
	body := []byte(j.d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.hook.URL, bytes.NewReader(body))
	if err != nil {
		return false, "invalid webhook URL", 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hubsync-webhooks/1")
	req.Header.Set(HeaderEvent, j.d.Event)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(j.d.ID, 10))
	req.Header.Set(HeaderSignature, Sign(secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return false, errKind(err), 0
	}
	// Drain a little so the connection can be reused; the body is not read.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return true, "", resp.StatusCode
	}
	return false, "HTTP " + strconv.Itoa(resp.StatusCode), resp.StatusCode
}

// errKind names a transport error without quoting it: url.Error carries the
// URL, which may hold a token in its query.
func errKind(err error) string {
	var (
		netErr  net.Error
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		opErr   *net.OpError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &dnsErr):
		return "DNS lookup failed"
	case errors.As(err, &certErr):
		return "TLS certificate not trusted"
	case errors.As(err, &recErr):
		return "TLS handshake failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the receiver"
	case errors.As(err, &opErr):
		return "network error (" + opErr.Op + ")"
	}
	return "request failed"
}

func logLevel(state string) slog.Level {
	if state == store.DeliveryDelivered {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

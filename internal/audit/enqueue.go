package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hubsync/hubsync/internal/store"
)

// Event is a connection breaking or recovering.
type Event struct {
	Kind           string // EventBroken or EventRecovered
	ConnectionID   int64
	ConnectionName string
	Status         string
	Reason         string
	Message        string
	NextStep       string
	At             time.Time // when it happened; now when zero
}

// payload is the JSON body receivers get. Its field names are a public
// contract: add fields, never rename them.
type payload struct {
	ID         string            `json:"id"`
	Kind       string            `json:"kind"`
	Connection connectionPayload `json:"connection"`
	OccurredAt time.Time         `json:"occurred_at"`
}

type connectionPayload struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Message  string `json:"message,omitempty"`
	NextStep string `json:"next_step,omitempty"`
}

var allDeliveryStates = []string{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed, store.DeliverySuppressed}

// Enqueue schedules e for every webhook subscribed to its kind. Call it in
// the transaction that changes the connection's status, so the notification
// exists exactly when the change does.
//
// Cool-down, per webhook and connection: when the pair's newest delivery was
// made less than the cool-down ago, the pair's deliveries not yet attempted
// are suppressed (this event replaces them) and this one waits until the
// newest's creation plus the cool-down, so the state has settled before it
// is told. At send time a delivery whose kind equals the pair's last
// delivered kind is suppressed: the receiver already knows that state.
func (w *Webhooks) Enqueue(ctx context.Context, tx store.Tx, e Event) error {
	if !slices.Contains(EventKinds, e.Kind) {
		return fmt.Errorf("%w: unknown webhook event %q", ErrInvalid, e.Kind)
	}
	if e.ConnectionID <= 0 {
		return fmt.Errorf("%w: a connection event needs a connection id", ErrInvalid)
	}
	hooks, err := tx.Webhooks(ctx)
	if err != nil {
		return fmt.Errorf("list webhooks: %w", err)
	}
	now := w.now().UTC()
	if e.At.IsZero() {
		e.At = now
	}
	body, err := json.Marshal(payload{
		ID: "evt_" + uuid.NewString(), Kind: e.Kind, OccurredAt: e.At.UTC(),
		Connection: connectionPayload{ID: e.ConnectionID, Name: e.ConnectionName, Status: e.Status,
			Reason: e.Reason, Message: e.Message, NextStep: e.NextStep},
	})
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if !slices.Contains(h.Events, e.Kind) {
			continue
		}
		at, err := w.schedule(ctx, tx, h.ID, e.ConnectionID, now)
		if err != nil {
			return err
		}
		_, err = tx.CreateDelivery(ctx, store.Delivery{
			WebhookID: h.ID, ConnectionID: e.ConnectionID, Event: e.Kind, Payload: string(body),
			State: store.DeliveryPending, NextAttemptAt: at, CreatedAt: now,
		})
		if err != nil {
			return fmt.Errorf("create delivery: %w", err)
		}
	}
	return nil
}

// maxReplaced bounds the walk over a pair's unsent deliveries; the cool-down
// keeps there from being more than one, so this only guards a loop.
const maxReplaced = 100

// schedule applies the cool-down for a new delivery of a webhook and
// connection and says when it is due.
func (w *Webhooks) schedule(ctx context.Context, tx store.Tx, hookID, connID int64, now time.Time) (time.Time, error) {
	newest, err := tx.LastDelivery(ctx, hookID, connID, allDeliveryStates...)
	if isNotFound(err) {
		return now, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last delivery: %w", err)
	}
	if now.Sub(newest.CreatedAt) >= w.cooldown {
		return now, nil
	}
	at := newest.CreatedAt.Add(w.cooldown)
	for range maxReplaced {
		p, err := tx.LastDelivery(ctx, hookID, connID, store.DeliveryPending)
		if isNotFound(err) {
			break
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("last pending delivery: %w", err)
		}
		if p.Attempts > 0 {
			// Being sent or retried: the receiver may have it already.
			break
		}
		p.State, p.LastError = store.DeliverySuppressed, "replaced by a newer event within the cool-down"
		if err := tx.UpdateDelivery(ctx, p); err != nil {
			return time.Time{}, fmt.Errorf("suppress delivery: %w", err)
		}
	}
	if at.Before(now) {
		return now, nil
	}
	return at, nil
}

package audit

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/hubsync/hubsync/internal/store"
)

// EventTest is the kind of a test event, which an admin sends to check that
// a receiver gets and verifies the hub's deliveries. Receivers are not
// subscribed to it: every webhook takes it when asked.
const EventTest = "webhook.test"

// testPayload is the body of a test event: the fields every event has, and
// a sentence for whoever reads the receiver's log.
type testPayload struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Message    string    `json:"message"`
	OccurredAt time.Time `json:"occurred_at"`
}

// SendTest queues a test event for webhook id, delivered, signed and
// retried like any other, and returns its delivery; store.ErrNotFound when
// there is no such webhook.
func (w *Webhooks) SendTest(ctx context.Context, a Actor, id int64) (store.Delivery, error) {
	now := w.now().UTC()
	body, err := json.Marshal(testPayload{ID: "evt_" + uuid.NewString(), Kind: EventTest, OccurredAt: now,
		Message: "A test event sent by " + a.Label + " from hubsync; it tells of no connection."})
	if err != nil {
		return store.Delivery{}, err
	}
	var d store.Delivery
	err = w.store.Update(ctx, func(tx store.Tx) (err error) {
		hook, err := tx.Webhook(ctx, id)
		if err != nil {
			return err
		}
		d, err = tx.CreateDelivery(ctx, store.Delivery{WebhookID: hook.ID, Event: EventTest, Payload: string(body),
			State: store.DeliveryPending, NextAttemptAt: now, CreatedAt: now})
		if err != nil {
			return err
		}
		return Record(ctx, tx, now, a, "webhook.test", "webhook", strconv.FormatInt(id, 10), nil,
			map[string]string{"delivery": strconv.FormatInt(d.ID, 10)})
	})
	return d, err
}

// ShownURL is a webhook URL as pages and the audit log show it: without
// its query, which may carry the receiver's token.
func ShownURL(raw string) string { return shownURL(raw) }

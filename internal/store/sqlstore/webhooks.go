package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

const webhookColumns = `id, url, secret, events, created_by, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (store.Webhook, error) {
	var w store.Webhook
	var events string
	var created int64
	err := row.Scan(&w.ID, &w.URL, &w.Secret, &events, &w.CreatedBy, &created)
	w.Events, w.CreatedAt = strings.Fields(events), fromMS(created)
	return w, err
}

func (t *tx) CreateWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	err := t.queryRow(ctx, `INSERT INTO webhooks (url, secret, events, created_by, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		w.URL, w.Secret, strings.Join(w.Events, " "), w.CreatedBy, ms(w.CreatedAt)).Scan(&w.ID)
	w.CreatedAt = stored(w.CreatedAt)
	return w, err
}

func (t *tx) Webhook(ctx context.Context, id int64) (store.Webhook, error) {
	w, err := scanWebhook(t.queryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`+t.forUpdate(), id))
	return w, notFound(err, fmt.Sprintf("webhook %d", id))
}

func (t *tx) Webhooks(ctx context.Context) ([]store.Webhook, error) {
	rows, err := t.query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanWebhook)
}

func (t *tx) UpdateWebhook(ctx context.Context, w store.Webhook) error {
	res, err := t.exec(ctx, `UPDATE webhooks SET url = ?, secret = ?, events = ? WHERE id = ?`,
		w.URL, w.Secret, strings.Join(w.Events, " "), w.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("webhook %d", w.ID))
}

// DeleteWebhook deletes the webhook's deliveries with it: they have nowhere
// left to go.
func (t *tx) DeleteWebhook(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if err := affectedOne(res, fmt.Sprintf("webhook %d", id)); err != nil {
		return err
	}
	_, err = t.exec(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id)
	return err
}

const deliveryColumns = `id, webhook_id, connection_id, event, payload, state, attempts, next_attempt_at,
	last_error, status_code, created_at, delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (store.Delivery, error) {
	var d store.Delivery
	var next, created, delivered int64
	err := row.Scan(&d.ID, &d.WebhookID, &d.ConnectionID, &d.Event, &d.Payload, &d.State, &d.Attempts,
		&next, &d.LastError, &d.StatusCode, &created, &delivered)
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = fromMS(next), fromMS(created), fromMS(delivered)
	return d, err
}

func (t *tx) queryDeliveries(ctx context.Context, query string, args ...any) ([]store.Delivery, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanDelivery)
}

func (t *tx) CreateDelivery(ctx context.Context, d store.Delivery) (store.Delivery, error) {
	err := t.queryRow(ctx, `INSERT INTO webhook_deliveries (webhook_id, connection_id, event, payload, state,
		attempts, next_attempt_at, last_error, status_code, created_at, delivered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.WebhookID, d.ConnectionID, d.Event, d.Payload, d.State, d.Attempts, ms(d.NextAttemptAt),
		d.LastError, d.StatusCode, ms(d.CreatedAt), ms(d.DeliveredAt)).Scan(&d.ID)
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = stored(d.NextAttemptAt), stored(d.CreatedAt), stored(d.DeliveredAt)
	return d, err
}

func (t *tx) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	return t.queryDeliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE state = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+t.forUpdateSkipLocked(),
		store.DeliveryPending, ms(now), limit)
}

func (t *tx) LastDelivery(ctx context.Context, webhookID, connectionID int64, states ...string) (store.Delivery, error) {
	query := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE webhook_id = ? AND connection_id = ?`
	args := []any{webhookID, connectionID}
	if len(states) > 0 {
		query += ` AND state IN (` + placeholders(len(states)) + `)`
		for _, s := range states {
			args = append(args, s)
		}
	}
	d, err := scanDelivery(t.queryRow(ctx, query+` ORDER BY id DESC LIMIT 1`, args...))
	return d, notFound(err, fmt.Sprintf("delivery of webhook %d for connection %d", webhookID, connectionID))
}

func (t *tx) Deliveries(ctx context.Context, webhookID int64, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	return t.queryDeliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, webhookID, limit)
}

func (t *tx) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	res, err := t.exec(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, status_code = ?, delivered_at = ? WHERE id = ?`,
		d.State, d.Attempts, ms(d.NextAttemptAt), d.LastError, d.StatusCode, ms(d.DeliveredAt), d.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("delivery %d", d.ID))
}

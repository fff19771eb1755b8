package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

var errTODO = errors.New("not implemented yet")

var _ = time.Now

func (t *tx) CreateIntegration(ctx context.Context, i store.Integration) (store.Integration, error) {
	return store.Integration{}, errTODO
}

func (t *tx) Integration(ctx context.Context, id int64) (store.Integration, error) {
	return store.Integration{}, errTODO
}

func (t *tx) IntegrationByName(ctx context.Context, name string) (store.Integration, error) {
	return store.Integration{}, errTODO
}

func (t *tx) Integrations(ctx context.Context) ([]store.Integration, error) { return nil, errTODO }

func (t *tx) UpdateIntegration(ctx context.Context, i store.Integration) error { return errTODO }

func (t *tx) DeleteIntegration(ctx context.Context, id int64) error { return errTODO }

func (t *tx) CreateConnection(ctx context.Context, c store.Connection) (store.Connection, error) {
	return store.Connection{}, errTODO
}

func (t *tx) Connection(ctx context.Context, id int64) (store.Connection, error) {
	return store.Connection{}, errTODO
}

func (t *tx) Connections(ctx context.Context) ([]store.Connection, error) { return nil, errTODO }

func (t *tx) UpdateConnection(ctx context.Context, c store.Connection) error { return errTODO }

func (t *tx) CreateConnectAttempt(ctx context.Context, a store.ConnectAttempt) error { return errTODO }

func (t *tx) TakeConnectAttempt(ctx context.Context, stateHash []byte) (store.ConnectAttempt, error) {
	return store.ConnectAttempt{}, errTODO
}

func (t *tx) ConnectAttempts(ctx context.Context) ([]store.ConnectAttempt, error) {
	return nil, errTODO
}

func (t *tx) UpdateConnectAttempt(ctx context.Context, a store.ConnectAttempt) error { return errTODO }

func (t *tx) DeleteConnectAttemptsBefore(ctx context.Context, expiresBefore time.Time) error {
	return errTODO
}

func (t *tx) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	return store.AuditEvent{}, errTODO
}

func (t *tx) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	return nil, errTODO
}

func (t *tx) CreateWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	return store.Webhook{}, errTODO
}

func (t *tx) Webhook(ctx context.Context, id int64) (store.Webhook, error) {
	return store.Webhook{}, errTODO
}

func (t *tx) Webhooks(ctx context.Context) ([]store.Webhook, error) { return nil, errTODO }

func (t *tx) UpdateWebhook(ctx context.Context, w store.Webhook) error { return errTODO }

func (t *tx) DeleteWebhook(ctx context.Context, id int64) error { return errTODO }

func (t *tx) CreateDelivery(ctx context.Context, d store.Delivery) (store.Delivery, error) {
	return store.Delivery{}, errTODO
}

func (t *tx) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	return nil, errTODO
}

func (t *tx) LastDelivery(ctx context.Context, webhookID, connectionID int64, states ...string) (store.Delivery, error) {
	return store.Delivery{}, errTODO
}

func (t *tx) Deliveries(ctx context.Context, webhookID int64, limit int) ([]store.Delivery, error) {
	return nil, errTODO
}

func (t *tx) UpdateDelivery(ctx context.Context, d store.Delivery) error { return errTODO }

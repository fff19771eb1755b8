-- +goose Up
-- The audit log is filtered by who did it, by action and by time, newest
-- first; a webhook delivery keeps the HTTP status its receiver answered.
CREATE INDEX IF NOT EXISTS audit_events_actor ON audit_events (actor, seq);
CREATE INDEX IF NOT EXISTS audit_events_action ON audit_events (action, seq);
CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events (at);
ALTER TABLE webhook_deliveries ADD COLUMN status_code INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE webhook_deliveries DROP COLUMN status_code;
DROP INDEX IF EXISTS audit_events_at;
DROP INDEX IF EXISTS audit_events_action;
DROP INDEX IF EXISTS audit_events_actor;

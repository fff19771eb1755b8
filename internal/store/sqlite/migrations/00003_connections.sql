-- +goose Up
-- Maps are JSON text; lists of names are space-joined, like scopes elsewhere.
-- Sealed secrets are the vault's ciphertext.
CREATE TABLE integrations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    provider   TEXT NOT NULL,
    auth_kind  TEXT NOT NULL,
    config     TEXT NOT NULL,
    secret     BLOB,
    created_by INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE connections (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id        INTEGER NOT NULL,
    name                  TEXT NOT NULL,
    auth_mode             TEXT NOT NULL,
    owner_id              INTEGER NOT NULL DEFAULT 0,
    maintainer_id         INTEGER NOT NULL DEFAULT 0,
    note                  TEXT NOT NULL DEFAULT '',
    objects               TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    external_identity     TEXT NOT NULL,
    config                TEXT NOT NULL,
    credential            BLOB,
    credential_expires_at INTEGER NOT NULL DEFAULT 0,
    refresh_lease_until   INTEGER NOT NULL DEFAULT 0,
    refresh_lease_owner   TEXT NOT NULL DEFAULT '',
    status                TEXT NOT NULL,
    reason                TEXT NOT NULL DEFAULT '',
    reason_message        TEXT NOT NULL DEFAULT '',
    reason_detail         TEXT NOT NULL DEFAULT '',
    reason_since          INTEGER NOT NULL DEFAULT 0,
    next_step             TEXT NOT NULL DEFAULT '',
    status_changed_at     INTEGER NOT NULL DEFAULT 0,
    recovered_at          INTEGER NOT NULL DEFAULT 0,
    transient_failures    INTEGER NOT NULL DEFAULT 0,
    created_by            INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    last_used_at          INTEGER NOT NULL DEFAULT 0,
    last_success_at       INTEGER NOT NULL DEFAULT 0,
    last_error_at         INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT NOT NULL DEFAULT '',
    last_run_at           INTEGER NOT NULL DEFAULT 0,
    last_check_at         INTEGER NOT NULL DEFAULT 0,
    next_check_at         INTEGER NOT NULL DEFAULT 0
);

-- Attempts are found by the keyed hash of their state; the state is never stored.
CREATE TABLE connect_attempts (
    state_hash     BLOB PRIMARY KEY,
    integration_id INTEGER NOT NULL,
    connection_id  INTEGER NOT NULL DEFAULT 0,
    actor_id       INTEGER NOT NULL DEFAULT 0,
    spec           TEXT NOT NULL,
    verifier       BLOB,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX connect_attempts_expires ON connect_attempts (expires_at);

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json  TEXT NOT NULL
);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, seq);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    url        TEXT NOT NULL,
    secret     BLOB,
    events     TEXT NOT NULL,
    created_by INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL,
    connection_id   INTEGER NOT NULL DEFAULT 0,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER NOT NULL DEFAULT 0
);
-- The id columns give the order the queries sort by.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at, id);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, connection_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE audit_events;
DROP TABLE connect_attempts;
DROP TABLE connections;
DROP TABLE integrations;

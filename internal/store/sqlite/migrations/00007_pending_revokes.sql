-- +goose Up
-- Credentials the hub stopped using (replaced by a reconnect, of a deleted
-- connection, or issued to a connect that failed) until the external side
-- has revoked them. The credential is the vault's ciphertext.
CREATE TABLE pending_revokes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id  INTEGER NOT NULL,
    connection_id   INTEGER NOT NULL DEFAULT 0,
    credential      BLOB,
    cause           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
-- The id column gives the order the queries sort by.
CREATE INDEX pending_revokes_due ON pending_revokes (next_attempt_at, id);
CREATE INDEX pending_revokes_connection ON pending_revokes (connection_id, id);

-- +goose Down
DROP TABLE pending_revokes;

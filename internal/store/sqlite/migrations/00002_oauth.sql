-- +goose Up
CREATE TABLE oauth_apps (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id         TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    secret_hash       BLOB,
    redirect_uris     TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    optional_scopes   TEXT NOT NULL,
    public            INTEGER NOT NULL DEFAULT 0,
    created_by        INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    secret_rotated_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE oauth_grants (
    id                TEXT PRIMARY KEY,
    app_id            INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    scopes            TEXT NOT NULL,
    credentials_epoch INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    last_used_at      INTEGER NOT NULL DEFAULT 0,
    revoked_at        INTEGER NOT NULL DEFAULT 0,
    revoke_reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id);
CREATE INDEX oauth_grants_app ON oauth_grants (app_id);

-- Tokens are found by signature, a keyed hash; the tokens are never stored.
CREATE TABLE oauth_tokens (
    kind             TEXT NOT NULL,
    signature        TEXT NOT NULL,
    grant_id         TEXT NOT NULL,
    access_signature TEXT NOT NULL DEFAULT '',
    active           INTEGER NOT NULL DEFAULT 1,
    expires_at       INTEGER NOT NULL,
    request          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);

CREATE TABLE web_sessions (
    id_hash           BLOB PRIMARY KEY,
    user_id           INTEGER NOT NULL,
    csrf              TEXT NOT NULL,
    credentials_epoch INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL
);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE oauth_tokens;
DROP TABLE oauth_grants;
DROP TABLE oauth_apps;

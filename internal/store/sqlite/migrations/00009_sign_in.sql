-- +goose Up
-- Failed sign-ins per throttle key (an account's email or a client
-- address), shared by every replica. Rows are forgotten some time after
-- their last failure; the index finds those.
CREATE TABLE sign_in_counters (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_counters_last_failure ON sign_in_counters (last_failure_at);

-- Personal admin API tokens, found by keyed hash; the tokens are never stored.
CREATE TABLE admin_tokens (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL,
    name              TEXT NOT NULL,
    token_hash        BLOB NOT NULL UNIQUE,
    credentials_epoch INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    last_used_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX admin_tokens_user ON admin_tokens (user_id);

-- +goose Down
DROP TABLE admin_tokens;
DROP TABLE sign_in_counters;

-- +goose Up
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    hub_id     INTEGER NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL,
    status              TEXT NOT NULL,
    permissions         TEXT NOT NULL,
    integrations_manage INTEGER NOT NULL DEFAULT 0,
    password_hash       TEXT NOT NULL DEFAULT '',
    credentials_epoch   INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
-- A removed user's email may be given to a new user.
CREATE UNIQUE INDEX users_live_email ON users (email) WHERE status <> 'removed';

CREATE TABLE identity_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL,
    at      INTEGER NOT NULL
);

CREATE TABLE private_apps (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT NOT NULL,
    scopes              TEXT NOT NULL,
    token_hash          BLOB NOT NULL UNIQUE,
    previous_token_hash BLOB,
    previous_expires_at INTEGER NOT NULL DEFAULT 0,
    created_by          INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    rotated_at          INTEGER NOT NULL DEFAULT 0,
    last_used_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX private_apps_previous_token ON private_apps (previous_token_hash);

CREATE TABLE properties (
    object_type      TEXT NOT NULL,
    name             TEXT NOT NULL,
    label            TEXT NOT NULL,
    type             TEXT NOT NULL,
    field_type       TEXT NOT NULL,
    group_name       TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    options          TEXT NOT NULL,
    has_unique_value INTEGER NOT NULL DEFAULT 0,
    display_order    INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (object_type, name)
);

-- Ids never repeat, across object types too, so a record id is unique hub-wide.
CREATE TABLE records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_type TEXT NOT NULL,
    props       BLOB NOT NULL, -- SQLite's binary JSON
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0,
    archived_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX records_list ON records (object_type, archived, id);
CREATE INDEX records_updated ON records (object_type, updated_at, id);
CREATE INDEX records_created ON records (object_type, created_at, id);

CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    object_type TEXT NOT NULL,
    record_id   INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    props       TEXT NOT NULL,
    source      TEXT NOT NULL,
    at          INTEGER NOT NULL
);

-- +goose Down
DROP TABLE changes;
DROP TABLE records;
DROP TABLE properties;
DROP TABLE private_apps;
DROP TABLE identity_events;
DROP TABLE users;
DROP TABLE accounts;
DROP TABLE meta;

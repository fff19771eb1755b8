-- +goose Up
-- Mappings and filters are JSON lists, snapshots and counts JSON maps. As
-- elsewhere there are no foreign keys: DeleteObjectSync deletes what hangs
-- off an object sync itself.
CREATE TABLE object_syncs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id     INTEGER NOT NULL,
    hub_object        TEXT NOT NULL,
    external_object   TEXT NOT NULL,
    direction         TEXT NOT NULL,
    mappings          TEXT NOT NULL,
    hub_filters       TEXT NOT NULL,
    app_filters       TEXT NOT NULL,
    hub_match_key     TEXT NOT NULL DEFAULT '',
    app_match_key     TEXT NOT NULL DEFAULT '',
    conflict_rule     TEXT NOT NULL DEFAULT '',
    propagate_deletes INTEGER NOT NULL DEFAULT 0,
    enabled           INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX object_syncs_connection ON object_syncs (connection_id, id);

-- A record has at most one link per sync, from either side.
CREATE TABLE sync_links (
    sync_id      INTEGER NOT NULL,
    hub_id       INTEGER NOT NULL,
    external_id  TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    hub_archived INTEGER NOT NULL DEFAULT 0,
    app_archived INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (sync_id, hub_id),
    UNIQUE (sync_id, external_id)
);

CREATE TABLE sync_cursors (
    sync_id  INTEGER NOT NULL,
    side     TEXT NOT NULL,
    position TEXT NOT NULL,
    PRIMARY KEY (sync_id, side)
);

CREATE TABLE sync_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NOT NULL,
    triggered_by  TEXT NOT NULL,
    status        TEXT NOT NULL,
    started_at    INTEGER NOT NULL DEFAULT 0,
    finished_at   INTEGER NOT NULL DEFAULT 0,
    counts        TEXT NOT NULL,
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, id);

CREATE TABLE record_errors (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_id     INTEGER NOT NULL,
    side        TEXT NOT NULL,
    hub_id      INTEGER NOT NULL DEFAULT 0,
    external_id TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0
);
-- A record has at most one open error per sync and side: PutRecordError
-- counts a repeat on it in one upsert, even when two writers race.
CREATE UNIQUE INDEX record_errors_open ON record_errors (sync_id, side, hub_id, external_id) WHERE resolved_at = 0;
-- A connection's errors are found through its syncs, newest first.
CREATE INDEX record_errors_sync ON record_errors (sync_id, id);

-- +goose Down
DROP TABLE record_errors;
DROP TABLE sync_runs;
DROP TABLE sync_cursors;
DROP TABLE sync_links;
DROP TABLE object_syncs;

-- +goose Up
-- A running run saves itself after every step; the time it did so is when
-- it was last seen alive, which an interrupted run reports.
ALTER TABLE sync_runs ADD COLUMN heartbeat_at INTEGER NOT NULL DEFAULT 0;
-- Finds the few runs still running among all the finished ones.
CREATE INDEX sync_runs_status ON sync_runs (status, id);

-- +goose Down
DROP INDEX sync_runs_status;
ALTER TABLE sync_runs DROP COLUMN heartbeat_at;

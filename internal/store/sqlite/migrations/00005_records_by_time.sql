-- +goose Up
-- Searches always name the type and the archived flag; with the flag in
-- the index, counting a range of modified or created dates (every search
-- reports its total) reads the index alone instead of every record in it.
CREATE INDEX records_live_updated ON records (object_type, archived, updated_at, id);
CREATE INDEX records_live_created ON records (object_type, archived, created_at, id);
DROP INDEX records_updated;
DROP INDEX records_created;

-- +goose Down
CREATE INDEX records_updated ON records (object_type, updated_at, id);
CREATE INDEX records_created ON records (object_type, created_at, id);
DROP INDEX records_live_updated;
DROP INDEX records_live_created;

-- +goose Up
-- A connection's generation moves, in the same transaction, with every
-- change to what it may sync as (status, owner, mode, the connector user's
-- standing); a running sync compares it before each write, so a break
-- stops the run at once without a query per record.
ALTER TABLE connections ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE connections DROP COLUMN generation;

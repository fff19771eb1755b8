-- +goose Up
-- Nothing to change: SQLite's lower() already folds ASCII letters only,
-- which lookups and searches now do on every backend (PostgreSQL's
-- migration of this number rebuilds its lookup indexes to match).
SELECT 1;

-- +goose Down
SELECT 1;

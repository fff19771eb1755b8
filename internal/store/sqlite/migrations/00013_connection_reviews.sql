-- +goose Up
-- Who attested, in an access review, that a connection is still wanted
-- and in the right hands, and when. The newest review of a connection
-- decides whether it is overdue for the next.
CREATE TABLE IF NOT EXISTS connection_reviews (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NOT NULL,
    reviewer_id   INTEGER NOT NULL DEFAULT 0,
    reviewer      TEXT NOT NULL,
    reviewed_at   INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS connection_reviews_by_connection ON connection_reviews (connection_id, id);

-- +goose Down
DROP TABLE connection_reviews;

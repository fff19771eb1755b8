-- +goose Up
-- Each process that answers token checks from memory keeps a row here: the
-- auth generation it has taken in and when it last confirmed that with the
-- database. A change that moves the generation waits, after its commit,
-- until every process seen lately has taken it in (sqlstore/authwatch.go).
CREATE TABLE IF NOT EXISTS auth_replicas (
	id TEXT PRIMARY KEY,
	generation BIGINT NOT NULL DEFAULT 0,
	seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The generation's moves are announced to the processes listening, on a
-- channel of this schema's own: tests and tenants share one database.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION auth_generation_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('hubsync_auth_' || left(md5(TG_TABLE_SCHEMA), 16), NEW.value);
	RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS meta_auth_generation ON meta;
CREATE TRIGGER meta_auth_generation AFTER INSERT OR UPDATE ON meta FOR EACH ROW
	WHEN (NEW.key = 'auth_generation') EXECUTE FUNCTION auth_generation_notify();

-- +goose Down
DROP TRIGGER IF EXISTS meta_auth_generation ON meta;
DROP FUNCTION IF EXISTS auth_generation_notify();
DROP TABLE IF EXISTS auth_replicas;

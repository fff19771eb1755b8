-- +goose Up
-- Lookups and searches fold ASCII letters only, under the C collation, as
-- SQLite's lower() does, so that both backends find the same records; the
-- lookup indexes folded by the database's locale, which may fold all of
-- Unicode. Drop them: the hub rebuilds each (crm's Prepare, when it opens
-- the store) with the expression its queries use. Emails were always
-- stored folded in Go, and folding less can only tell values apart, so no
-- rebuilt unique index can meet duplicates.
-- +goose StatementBegin
DO $$
DECLARE
    ix record;
BEGIN
    FOR ix IN SELECT indexname FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'records'
          AND indexname ~ '^records_.*_(idx|key)_[0-9a-f]{12}$'
    LOOP
        EXECUTE format('DROP INDEX %I', ix.indexname);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Nothing: older code recreates the indexes it lacks, and dropping these
-- would leave unique custom properties unenforced.
SELECT 1;

-- +goose Up
-- Refresh-token policy per app: confidential apps keep one refresh token
-- until it is revoked, as on HubSpot, unless they opt into rotation; public
-- apps always rotate. Lifetimes are whole seconds, 0 for none.
ALTER TABLE oauth_apps ADD COLUMN refresh_token_rotation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oauth_apps ADD COLUMN refresh_token_idle_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oauth_apps ADD COLUMN refresh_token_absolute_ttl INTEGER NOT NULL DEFAULT 0;
UPDATE oauth_apps SET refresh_token_rotation = 1 WHERE public = 1;
-- When a grant's refresh token was last used, for the idle lifetime.
ALTER TABLE oauth_grants ADD COLUMN refreshed_at INTEGER NOT NULL DEFAULT 0;

-- An archived property keeps its definition and its values, hidden until
-- it is restored.
ALTER TABLE properties ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE properties ADD COLUMN archived_at INTEGER NOT NULL DEFAULT 0;

-- A record's property history reads its changes newest first.
CREATE INDEX changes_record ON changes (record_id, seq);

-- +goose Down
DROP INDEX changes_record;
ALTER TABLE properties DROP COLUMN archived_at;
ALTER TABLE properties DROP COLUMN archived;
ALTER TABLE oauth_grants DROP COLUMN refreshed_at;
ALTER TABLE oauth_apps DROP COLUMN refresh_token_absolute_ttl;
ALTER TABLE oauth_apps DROP COLUMN refresh_token_idle_ttl;
ALTER TABLE oauth_apps DROP COLUMN refresh_token_rotation;

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hubsync/hubsync/internal/store"
)

// jsonText is a list or map as its stored JSON text. The values stored this
// way hold only strings and numbers, whose encoding cannot fail.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func parseJSON(text, what string, v any) error {
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func parseMap(text, what string) (map[string]string, error) {
	var m map[string]string
	if err := parseJSON(text, what, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// objectSyncWrite lists the columns UpdateObjectSync writes, in the order of
// objectSyncValues. An object sync stays in the connection it was created
// in: its links and cursors mean nothing in another.
const objectSyncWrite = `hub_object, external_object, direction, mappings, hub_filters, app_filters,
	hub_match_key, app_match_key, conflict_rule, propagate_deletes, enabled, updated_at`

func objectSyncValues(o store.ObjectSync) []any {
	return []any{o.HubObject, o.ExternalObject, o.Direction, jsonText(o.Mappings), jsonText(o.HubFilters),
		jsonText(o.AppFilters), o.HubMatchKey, o.AppMatchKey, o.ConflictRule, b2i(o.PropagateDeletes),
		b2i(o.Enabled), ms(o.UpdatedAt)}
}

const objectSyncColumns = `id, connection_id, created_at, ` + objectSyncWrite

func scanObjectSync(row interface{ Scan(...any) error }) (store.ObjectSync, error) {
	var o store.ObjectSync
	var mappings, hubFilters, appFilters string
	var propagate, enabled int
	var created, updated int64
	if err := row.Scan(&o.ID, &o.ConnectionID, &created, &o.HubObject, &o.ExternalObject, &o.Direction,
		&mappings, &hubFilters, &appFilters, &o.HubMatchKey, &o.AppMatchKey, &o.ConflictRule, &propagate,
		&enabled, &updated); err != nil {
		return o, err
	}
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	o.PropagateDeletes, o.Enabled = propagate != 0, enabled != 0
	what := fmt.Sprintf("object sync %d", o.ID)
	return o, errors.Join(parseJSON(mappings, what+" mappings", &o.Mappings),
		parseJSON(hubFilters, what+" hub filters", &o.HubFilters),
		parseJSON(appFilters, what+" app filters", &o.AppFilters))
}

func (t *tx) CreateObjectSync(ctx context.Context, o store.ObjectSync) (store.ObjectSync, error) {
	args := append([]any{o.ConnectionID, ms(o.CreatedAt)}, objectSyncValues(o)...)
	err := t.queryRow(ctx, `INSERT INTO object_syncs (connection_id, created_at, `+objectSyncWrite+`)
		VALUES (`+placeholders(len(args))+`) RETURNING id`, args...).Scan(&o.ID)
	o.CreatedAt, o.UpdatedAt = stored(o.CreatedAt), stored(o.UpdatedAt)
	return o, err
}

func (t *tx) ObjectSync(ctx context.Context, id int64) (store.ObjectSync, error) {
	o, err := scanObjectSync(t.queryRow(ctx, `SELECT `+objectSyncColumns+` FROM object_syncs
		WHERE id = ?`+t.forUpdate(), id))
	return o, notFound(err, fmt.Sprintf("object sync %d", id))
}

// qObjectSyncs runs at the start of every sync run.
var qObjectSyncs = hot(`SELECT ` + objectSyncColumns + ` FROM object_syncs WHERE connection_id = ? ORDER BY id`)

func (t *tx) ObjectSyncs(ctx context.Context, connectionID int64) ([]store.ObjectSync, error) {
	rows, err := t.cachedQuery(ctx, qObjectSyncs, connectionID)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanObjectSync)
}

func (t *tx) UpdateObjectSync(ctx context.Context, o store.ObjectSync) error {
	res, err := t.exec(ctx, `UPDATE object_syncs SET `+assignments(objectSyncWrite)+` WHERE id = ?`,
		append(objectSyncValues(o), o.ID)...)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("object sync %d", o.ID))
}

// DeleteObjectSync deletes what the sync kept with it: links and cursors
// would pair records and resume positions for a sync that no longer runs.
func (t *tx) DeleteObjectSync(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM object_syncs WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if err := affectedOne(res, fmt.Sprintf("object sync %d", id)); err != nil {
		return err
	}
	for _, table := range []string{"sync_links", "sync_cursors", "record_errors"} {
		if _, err := t.exec(ctx, `DELETE FROM `+table+` WHERE sync_id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

// qSyncCursor runs at the start of every sync run, once per side.
var qSyncCursor = hot(`SELECT position FROM sync_cursors WHERE sync_id = ? AND side = ?`)

func (t *tx) SyncCursor(ctx context.Context, syncID int64, side string) (string, error) {
	var row *sql.Row
	if lock := t.forUpdate(); lock != "" {
		row = t.queryRow(ctx, qSyncCursor+lock, syncID, side)
	} else {
		row = t.cachedQueryRow(ctx, qSyncCursor, syncID, side)
	}
	var position string
	if err := row.Scan(&position); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return position, nil
}

func (t *tx) SetSyncCursor(ctx context.Context, syncID int64, side, position string) error {
	_, err := t.exec(ctx, `INSERT INTO sync_cursors (sync_id, side, position) VALUES (?, ?, ?)
		ON CONFLICT (sync_id, side) DO UPDATE SET position = excluded.position`, syncID, side, position)
	return err
}

package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

const syncRunColumns = `id, connection_id, triggered_by, status, started_at, finished_at, heartbeat_at, counts, error`

func scanSyncRun(row interface{ Scan(...any) error }) (store.SyncRun, error) {
	var r store.SyncRun
	var counts string
	var started, finished, heartbeat int64
	if err := row.Scan(&r.ID, &r.ConnectionID, &r.Trigger, &r.Status, &started, &finished, &heartbeat, &counts, &r.Error); err != nil {
		return r, err
	}
	r.StartedAt, r.FinishedAt, r.HeartbeatAt = fromMS(started), fromMS(finished), fromMS(heartbeat)
	return r, parseJSON(counts, fmt.Sprintf("sync run %d counts", r.ID), &r.Counts)
}

func (t *tx) CreateSyncRun(ctx context.Context, r store.SyncRun) (store.SyncRun, error) {
	err := t.queryRow(ctx, `INSERT INTO sync_runs (connection_id, triggered_by, status, started_at, finished_at,
		heartbeat_at, counts, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.ConnectionID, r.Trigger, r.Status, ms(r.StartedAt), ms(r.FinishedAt), ms(r.HeartbeatAt), jsonText(r.Counts), r.Error).Scan(&r.ID)
	r.StartedAt, r.FinishedAt, r.HeartbeatAt = stored(r.StartedAt), stored(r.FinishedAt), stored(r.HeartbeatAt)
	return r, err
}

// UpdateSyncRun writes all but the connection, which a run never changes.
func (t *tx) UpdateSyncRun(ctx context.Context, r store.SyncRun) error {
	res, err := t.exec(ctx, `UPDATE sync_runs SET triggered_by = ?, status = ?, started_at = ?, finished_at = ?,
		heartbeat_at = ?, counts = ?, error = ? WHERE id = ?`,
		r.Trigger, r.Status, ms(r.StartedAt), ms(r.FinishedAt), ms(r.HeartbeatAt), jsonText(r.Counts), r.Error, r.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("sync run %d", r.ID))
}

func (t *tx) SyncRunsWithStatus(ctx context.Context, status string) ([]store.SyncRun, error) {
	rows, err := t.query(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE status = ? ORDER BY id`, status)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanSyncRun)
}

func (t *tx) SyncRuns(ctx context.Context, connectionID int64, limit int) ([]store.SyncRun, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	rows, err := t.query(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE connection_id = ?
		ORDER BY id DESC LIMIT ?`, connectionID, limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanSyncRun)
}

func (t *tx) SyncRunsBefore(ctx context.Context, connectionID, beforeID int64, limit int) ([]store.SyncRun, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	rows, err := t.query(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE connection_id = ? AND id < ?
		ORDER BY id DESC LIMIT ?`, connectionID, beforeID, limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanSyncRun)
}

// SyncRunTotals leaves out runs without counts, stored as JSON null.
func (t *tx) SyncRunTotals(ctx context.Context, connectionID int64, since time.Time) ([]store.RunTotal, error) {
	const hour = int64(time.Hour / time.Millisecond)
	rows, err := t.query(ctx, fmt.Sprintf(`SELECT r.started_at / %d, j.key, SUM(%s) FROM sync_runs r, %s
		WHERE r.connection_id = ? AND r.started_at >= ? AND r.counts <> 'null' GROUP BY r.started_at / %d, j.key`, hour, t.d.CountValue, t.d.EachCount, hour),
		connectionID, ms(since))
	if err != nil {
		return nil, err
	}
	return scanAll(rows, func(row interface{ Scan(...any) error }) (store.RunTotal, error) {
		var rt store.RunTotal
		var h int64
		err := row.Scan(&h, &rt.Key, &rt.Sum)
		rt.Hour = fromMS(h * hour)
		return rt, err
	})
}

const recordErrorColumns = `id, sync_id, side, hub_id, external_id, reason, message, attempts, created_at,
	updated_at, resolved_at`

func scanRecordError(row interface{ Scan(...any) error }) (store.RecordError, error) {
	var e store.RecordError
	var created, updated, resolved int64
	err := row.Scan(&e.ID, &e.SyncID, &e.Side, &e.HubID, &e.ExternalID, &e.Reason, &e.Message, &e.Attempts,
		&created, &updated, &resolved)
	e.CreatedAt, e.UpdatedAt, e.ResolvedAt = fromMS(created), fromMS(updated), fromMS(resolved)
	return e, err
}

// PutRecordError is one upsert on the index of open errors, so two writers
// refused the same record count two attempts of one error. The error it
// records is open and on its first attempt, whatever e says; a repeat keeps
// its creation time and takes e's reason, message and update time.
func (t *tx) PutRecordError(ctx context.Context, e store.RecordError) (store.RecordError, error) {
	got, err := scanRecordError(t.queryRow(ctx, `INSERT INTO record_errors (sync_id, side, hub_id, external_id,
		reason, message, attempts, created_at, updated_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, 0)
		ON CONFLICT (sync_id, side, hub_id, external_id) WHERE resolved_at = 0 DO UPDATE SET
		reason = excluded.reason, message = excluded.message, attempts = record_errors.attempts + 1,
		updated_at = excluded.updated_at
		RETURNING `+recordErrorColumns,
		e.SyncID, e.Side, e.HubID, e.ExternalID, e.Reason, e.Message, ms(e.CreatedAt), ms(e.UpdatedAt)))
	return got, err
}

func (t *tx) RecordErrors(ctx context.Context, connectionID int64, unresolved bool, limit int) ([]store.RecordError, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	query := `SELECT ` + qualify("e", recordErrorColumns) + ` FROM record_errors e
		JOIN object_syncs s ON s.id = e.sync_id WHERE s.connection_id = ?`
	if unresolved {
		query += ` AND e.resolved_at = 0`
	}
	rows, err := t.query(ctx, query+` ORDER BY e.id DESC LIMIT ?`, connectionID, limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanRecordError)
}

func (t *tx) ResolveRecordError(ctx context.Context, id int64, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE record_errors SET resolved_at = ? WHERE id = ?`, ms(at), id)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("record error %d", id))
}

// qualify prefixes each column of a list with a table alias.
func qualify(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

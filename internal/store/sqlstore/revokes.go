package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

const revokeColumns = `id, integration_id, connection_id, credential, cause, attempts, next_attempt_at, last_error, created_at`

func scanRevoke(row interface{ Scan(...any) error }) (store.PendingRevoke, error) {
	var r store.PendingRevoke
	var next, created int64
	err := row.Scan(&r.ID, &r.IntegrationID, &r.ConnectionID, &r.Credential, &r.Cause, &r.Attempts, &next, &r.LastError, &created)
	r.NextAttemptAt, r.CreatedAt = fromMS(next), fromMS(created)
	return r, err
}

func (t *tx) queryRevokes(ctx context.Context, query string, args ...any) ([]store.PendingRevoke, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanRevoke)
}

func (t *tx) CreatePendingRevoke(ctx context.Context, r store.PendingRevoke) (store.PendingRevoke, error) {
	err := t.queryRow(ctx, `INSERT INTO pending_revokes (integration_id, connection_id, credential, cause,
		attempts, next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.IntegrationID, r.ConnectionID, r.Credential, r.Cause, r.Attempts, ms(r.NextAttemptAt), r.LastError, ms(r.CreatedAt)).Scan(&r.ID)
	r.NextAttemptAt, r.CreatedAt = stored(r.NextAttemptAt), stored(r.CreatedAt)
	return r, err
}

func (t *tx) PendingRevoke(ctx context.Context, id int64) (store.PendingRevoke, error) {
	r, err := scanRevoke(t.queryRow(ctx, `SELECT `+revokeColumns+` FROM pending_revokes WHERE id = ?`+t.forUpdate(), id))
	return r, notFound(err, fmt.Sprintf("pending revoke %d", id))
}

func (t *tx) PendingRevokes(ctx context.Context, connectionID int64) ([]store.PendingRevoke, error) {
	if connectionID == 0 {
		return t.queryRevokes(ctx, `SELECT `+revokeColumns+` FROM pending_revokes ORDER BY id`)
	}
	return t.queryRevokes(ctx, `SELECT `+revokeColumns+` FROM pending_revokes WHERE connection_id = ? ORDER BY id`, connectionID)
}

func (t *tx) DuePendingRevokes(ctx context.Context, now time.Time, limit int) ([]store.PendingRevoke, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	return t.queryRevokes(ctx, `SELECT `+revokeColumns+` FROM pending_revokes
		WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+t.forUpdateSkipLocked(), ms(now), limit)
}

func (t *tx) UpdatePendingRevoke(ctx context.Context, r store.PendingRevoke) error {
	res, err := t.exec(ctx, `UPDATE pending_revokes SET credential = ?, attempts = ?, next_attempt_at = ?,
		last_error = ? WHERE id = ?`, r.Credential, r.Attempts, ms(r.NextAttemptAt), r.LastError, r.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("pending revoke %d", r.ID))
}

func (t *tx) DeletePendingRevoke(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM pending_revokes WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("pending revoke %d", id))
}

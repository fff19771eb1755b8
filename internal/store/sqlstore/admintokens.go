package sqlstore

import (
	"context"
	"fmt"

	"github.com/hubsync/hubsync/internal/store"
)

const adminTokenColumns = `id, user_id, name, token_hash, credentials_epoch, created_at, last_used_at`

func scanAdminToken(row interface{ Scan(...any) error }) (store.AdminToken, error) {
	var a store.AdminToken
	var created, used int64
	err := row.Scan(&a.ID, &a.UserID, &a.Name, &a.TokenHash, &a.CredentialsEpoch, &created, &used)
	a.CreatedAt, a.LastUsedAt = fromMS(created), fromMS(used)
	return a, err
}

func (t *tx) CreateAdminToken(ctx context.Context, a store.AdminToken) (store.AdminToken, error) {
	err := t.queryRow(ctx, `INSERT INTO admin_tokens (user_id, name, token_hash, credentials_epoch, created_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		a.UserID, a.Name, a.TokenHash, a.CredentialsEpoch, ms(a.CreatedAt), ms(a.LastUsedAt)).Scan(&a.ID)
	a.CreatedAt, a.LastUsedAt = stored(a.CreatedAt), stored(a.LastUsedAt)
	return a, t.uniqueErr(err, "admin token "+a.Name)
}

func (t *tx) AdminToken(ctx context.Context, id int64) (store.AdminToken, error) {
	a, err := scanAdminToken(t.queryRow(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens WHERE id = ?`+t.forUpdate(), id))
	return a, notFound(err, fmt.Sprintf("admin token %d", id))
}

func (t *tx) AdminTokenByHash(ctx context.Context, hash []byte) (store.AdminToken, error) {
	a, err := scanAdminToken(t.queryRow(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens WHERE token_hash = ?`, hash))
	return a, notFound(err, "admin token")
}

func (t *tx) AdminTokens(ctx context.Context, userID int64) ([]store.AdminToken, error) {
	rows, err := t.query(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens WHERE ? = 0 OR user_id = ? ORDER BY id`, userID, userID)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanAdminToken)
}

func (t *tx) UpdateAdminToken(ctx context.Context, a store.AdminToken) error {
	res, err := t.exec(ctx, `UPDATE admin_tokens SET name = ?, last_used_at = ? WHERE id = ?`, a.Name, ms(a.LastUsedAt), a.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("admin token %d", a.ID))
}

func (t *tx) DeleteAdminToken(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM admin_tokens WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("admin token %d", id))
}

package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

const privateAppColumns = `id, name, scopes, token_hash, previous_token_hash, previous_expires_at,
	created_by, created_at, updated_at, rotated_at, last_used_at`

func scanPrivateApp(row interface{ Scan(...any) error }) (store.PrivateApp, error) {
	var p store.PrivateApp
	var scopes string
	var prevExp, created, updated, rotated, used int64
	err := row.Scan(&p.ID, &p.Name, &scopes, &p.TokenHash, &p.PreviousTokenHash, &prevExp,
		&p.CreatedBy, &created, &updated, &rotated, &used)
	p.Scopes = strings.Fields(scopes)
	p.PreviousExpiresAt, p.CreatedAt, p.UpdatedAt = fromMS(prevExp), fromMS(created), fromMS(updated)
	p.RotatedAt, p.LastUsedAt = fromMS(rotated), fromMS(used)
	return p, err
}

func (t *tx) CreatePrivateApp(ctx context.Context, p store.PrivateApp) (store.PrivateApp, error) {
	err := t.queryRow(ctx, `INSERT INTO private_apps (name, scopes, token_hash, previous_token_hash,
		previous_expires_at, created_by, created_at, updated_at, rotated_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.Name, strings.Join(p.Scopes, " "), p.TokenHash, p.PreviousTokenHash, ms(p.PreviousExpiresAt),
		p.CreatedBy, ms(p.CreatedAt), ms(p.UpdatedAt), ms(p.RotatedAt), ms(p.LastUsedAt)).Scan(&p.ID)
	p.PreviousExpiresAt, p.CreatedAt, p.UpdatedAt = stored(p.PreviousExpiresAt), stored(p.CreatedAt), stored(p.UpdatedAt)
	p.RotatedAt, p.LastUsedAt = stored(p.RotatedAt), stored(p.LastUsedAt)
	return p, t.uniqueErr(err, "private app "+p.Name)
}

func (t *tx) PrivateApp(ctx context.Context, id int64) (store.PrivateApp, error) {
	p, err := scanPrivateApp(t.queryRow(ctx, `SELECT `+privateAppColumns+` FROM private_apps WHERE id = ?`+t.forUpdate(), id))
	return p, notFound(err, fmt.Sprintf("private app %d", id))
}

// qPrivateAppByHash runs on every API call with a private app token.
var qPrivateAppByHash = hot(`SELECT ` + privateAppColumns + ` FROM private_apps
	WHERE token_hash = ? UNION ALL SELECT ` + privateAppColumns + ` FROM private_apps
	WHERE previous_token_hash = ? LIMIT 1`)

func (t *tx) PrivateAppByTokenHash(ctx context.Context, hash []byte) (store.PrivateApp, error) {
	p, err := scanPrivateApp(t.cachedQueryRow(ctx, qPrivateAppByHash, hash, hash))
	return p, notFound(err, "private app token")
}

func (t *tx) PrivateApps(ctx context.Context) ([]store.PrivateApp, error) {
	rows, err := t.query(ctx, `SELECT `+privateAppColumns+` FROM private_apps ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanPrivateApp)
}

func (t *tx) UpdatePrivateApp(ctx context.Context, p store.PrivateApp) error {
	if err := t.bumpAuthGenerationUnless(ctx, bumpAuthPrivateApp, p.ID, strings.Join(p.Scopes, " "), p.TokenHash,
		p.PreviousTokenHash, ms(p.PreviousExpiresAt)); err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE private_apps SET name = ?, scopes = ?, token_hash = ?,
		previous_token_hash = ?, previous_expires_at = ?, updated_at = ?, rotated_at = ?,
		last_used_at = ? WHERE id = ?`,
		p.Name, strings.Join(p.Scopes, " "), p.TokenHash, p.PreviousTokenHash, ms(p.PreviousExpiresAt),
		ms(p.UpdatedAt), ms(p.RotatedAt), ms(p.LastUsedAt), p.ID)
	if err != nil {
		return t.uniqueErr(err, "private app "+p.Name)
	}
	return affectedOne(res, fmt.Sprintf("private app %d", p.ID))
}

func (t *tx) DeletePrivateApp(ctx context.Context, id int64) error {
	if err := t.bumpAuthGeneration(ctx); err != nil {
		return err
	}
	res, err := t.exec(ctx, `DELETE FROM private_apps WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("private app %d", id))
}

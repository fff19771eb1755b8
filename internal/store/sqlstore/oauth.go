package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

const appColumns = `id, client_id, name, secret_hash, redirect_uris, scopes, optional_scopes, public,
	created_by, created_at, updated_at, secret_rotated_at`

func scanApp(row interface{ Scan(...any) error }) (store.App, error) {
	var a store.App
	var uris, scopes, optional string
	var public int
	var created, updated, rotated int64
	err := row.Scan(&a.ID, &a.ClientID, &a.Name, &a.SecretHash, &uris, &scopes, &optional, &public,
		&a.CreatedBy, &created, &updated, &rotated)
	if err != nil {
		return a, err
	}
	a.Public = public != 0
	a.Scopes, a.OptionalScopes = strings.Fields(scopes), strings.Fields(optional)
	a.CreatedAt, a.UpdatedAt, a.SecretRotatedAt = fromMS(created), fromMS(updated), fromMS(rotated)
	if err := json.Unmarshal([]byte(uris), &a.RedirectURIs); err != nil {
		return a, fmt.Errorf("app %s redirect uris: %w", a.ClientID, err)
	}
	return a, nil
}

func (t *tx) CreateApp(ctx context.Context, a store.App) (store.App, error) {
	uris, err := json.Marshal(a.RedirectURIs)
	if err != nil {
		return a, err
	}
	err = t.queryRow(ctx, `INSERT INTO oauth_apps (client_id, name, secret_hash, redirect_uris, scopes,
		optional_scopes, public, created_by, created_at, updated_at, secret_rotated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.ClientID, a.Name, a.SecretHash, string(uris), strings.Join(a.Scopes, " "), strings.Join(a.OptionalScopes, " "),
		b2i(a.Public), a.CreatedBy, ms(a.CreatedAt), ms(a.UpdatedAt), ms(a.SecretRotatedAt)).Scan(&a.ID)
	a.CreatedAt, a.UpdatedAt, a.SecretRotatedAt = stored(a.CreatedAt), stored(a.UpdatedAt), stored(a.SecretRotatedAt)
	return a, t.uniqueErr(err, "app "+a.ClientID)
}

func (t *tx) App(ctx context.Context, id int64) (store.App, error) {
	a, err := scanApp(t.queryRow(ctx, `SELECT `+appColumns+` FROM oauth_apps WHERE id = ?`+t.forUpdate(), id))
	return a, notFound(err, fmt.Sprintf("app %d", id))
}

func (t *tx) AppByClientID(ctx context.Context, clientID string) (store.App, error) {
	a, err := scanApp(t.queryRow(ctx, `SELECT `+appColumns+` FROM oauth_apps WHERE client_id = ?`+t.forUpdate(), clientID))
	return a, notFound(err, "app "+clientID)
}

func (t *tx) Apps(ctx context.Context) ([]store.App, error) {
	rows, err := t.query(ctx, `SELECT `+appColumns+` FROM oauth_apps ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var apps []store.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	return apps, rows.Err()
}

func (t *tx) UpdateApp(ctx context.Context, a store.App) error {
	uris, err := json.Marshal(a.RedirectURIs)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE oauth_apps SET name = ?, secret_hash = ?, redirect_uris = ?, scopes = ?,
		optional_scopes = ?, public = ?, updated_at = ?, secret_rotated_at = ? WHERE id = ?`,
		a.Name, a.SecretHash, string(uris), strings.Join(a.Scopes, " "), strings.Join(a.OptionalScopes, " "),
		b2i(a.Public), ms(a.UpdatedAt), ms(a.SecretRotatedAt), a.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("app %d", a.ID))
}

func (t *tx) DeleteApp(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM oauth_apps WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("app %d", id))
}

const grantColumns = `id, app_id, user_id, scopes, credentials_epoch, created_at, last_used_at, revoked_at, revoke_reason`

func scanGrant(row interface{ Scan(...any) error }) (store.Grant, error) {
	var g store.Grant
	var scopes string
	var created, used, revoked int64
	err := row.Scan(&g.ID, &g.AppID, &g.UserID, &scopes, &g.CredentialsEpoch, &created, &used, &revoked, &g.RevokeReason)
	g.Scopes = strings.Fields(scopes)
	g.CreatedAt, g.LastUsedAt, g.RevokedAt = fromMS(created), fromMS(used), fromMS(revoked)
	return g, err
}

func (t *tx) CreateGrant(ctx context.Context, g store.Grant) error {
	_, err := t.exec(ctx, `INSERT INTO oauth_grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.AppID, g.UserID, strings.Join(g.Scopes, " "), g.CredentialsEpoch, ms(g.CreatedAt),
		ms(g.LastUsedAt), ms(g.RevokedAt), g.RevokeReason)
	return t.uniqueErr(err, "grant "+g.ID)
}

func (t *tx) Grant(ctx context.Context, id string) (store.Grant, error) {
	g, err := scanGrant(t.queryRow(ctx, `SELECT `+grantColumns+` FROM oauth_grants WHERE id = ?`+t.forUpdate(), id))
	return g, notFound(err, "grant "+id)
}

func (t *tx) Grants(ctx context.Context, userID, appID int64) ([]store.Grant, error) {
	rows, err := t.query(ctx, `SELECT `+grantColumns+` FROM oauth_grants
		WHERE (? = 0 OR user_id = ?) AND (? = 0 OR app_id = ?) ORDER BY created_at DESC, id`,
		userID, userID, appID, appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var grants []store.Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, err
		}
		grants = append(grants, g)
	}
	return grants, rows.Err()
}

func (t *tx) UpdateGrant(ctx context.Context, g store.Grant) error {
	res, err := t.exec(ctx, `UPDATE oauth_grants SET scopes = ?, credentials_epoch = ?, last_used_at = ?,
		revoked_at = ?, revoke_reason = ? WHERE id = ?`,
		strings.Join(g.Scopes, " "), g.CredentialsEpoch, ms(g.LastUsedAt), ms(g.RevokedAt), g.RevokeReason, g.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, "grant "+g.ID)
}

func (t *tx) CreateToken(ctx context.Context, tok store.Token) error {
	_, err := t.exec(ctx, `INSERT INTO oauth_tokens (kind, signature, grant_id, access_signature, active,
		expires_at, request, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tok.Kind, tok.Signature, tok.GrantID, tok.AccessSignature, b2i(tok.Active), ms(tok.ExpiresAt),
		string(tok.Request), ms(tok.CreatedAt))
	return t.uniqueErr(err, tok.Kind+" token")
}

func (t *tx) Token(ctx context.Context, kind, signature string) (store.Token, error) {
	var tok store.Token
	var active int
	var expires, created int64
	var request string
	err := t.queryRow(ctx, `SELECT kind, signature, grant_id, access_signature, active, expires_at, request, created_at
		FROM oauth_tokens WHERE kind = ? AND signature = ?`+t.forUpdate(), kind, signature).
		Scan(&tok.Kind, &tok.Signature, &tok.GrantID, &tok.AccessSignature, &active, &expires, &request, &created)
	tok.Active, tok.ExpiresAt, tok.CreatedAt, tok.Request = active != 0, fromMS(expires), fromMS(created), []byte(request)
	return tok, notFound(err, kind+" token")
}

func (t *tx) DeactivateToken(ctx context.Context, kind, signature string) error {
	res, err := t.exec(ctx, `UPDATE oauth_tokens SET active = 0 WHERE kind = ? AND signature = ? AND active = 1`, kind, signature)
	if err != nil {
		return err
	}
	return affectedOne(res, "active "+kind+" token")
}

func (t *tx) DeleteToken(ctx context.Context, kind, signature string) error {
	res, err := t.exec(ctx, `DELETE FROM oauth_tokens WHERE kind = ? AND signature = ?`, kind, signature)
	if err != nil {
		return err
	}
	return affectedOne(res, kind+" token")
}

func (t *tx) DeactivateGrantTokens(ctx context.Context, grantID string, kinds ...string) error {
	query := `UPDATE oauth_tokens SET active = 0 WHERE grant_id = ? AND active = 1`
	args := []any{grantID}
	if len(kinds) > 0 {
		query += ` AND kind IN (` + placeholders(len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	_, err := t.exec(ctx, query, args...)
	return err
}

func (t *tx) CreateWebSession(ctx context.Context, s store.WebSession) error {
	_, err := t.exec(ctx, `INSERT INTO web_sessions (id_hash, user_id, csrf, credentials_epoch, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.IDHash, s.UserID, s.CSRF, s.CredentialsEpoch, ms(s.CreatedAt), ms(s.ExpiresAt))
	return t.uniqueErr(err, "web session")
}

func (t *tx) WebSession(ctx context.Context, idHash []byte) (store.WebSession, error) {
	var s store.WebSession
	var created, expires int64
	err := t.queryRow(ctx, `SELECT id_hash, user_id, csrf, credentials_epoch, created_at, expires_at
		FROM web_sessions WHERE id_hash = ?`, idHash).
		Scan(&s.IDHash, &s.UserID, &s.CSRF, &s.CredentialsEpoch, &created, &expires)
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, notFound(err, "web session")
}

func (t *tx) DeleteWebSession(ctx context.Context, idHash []byte) error {
	_, err := t.exec(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, idHash)
	return err
}

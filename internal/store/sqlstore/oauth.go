package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

const appColumns = `id, client_id, name, secret_hash, redirect_uris, scopes, optional_scopes, public,
	created_by, created_at, updated_at, secret_rotated_at, ` + appPolicyColumns

// appPolicyColumns are an app's refresh-token policy, which every token
// request reads with the app.
const appPolicyColumns = `refresh_token_rotation, refresh_token_idle_ttl, refresh_token_absolute_ttl`

// appScan receives an oauth_apps row.
type appScan struct {
	a                         store.App
	uris, scopes, optional    string
	public                    int
	created, updated, rotated int64
	policy                    policyScan
}

func (s *appScan) dest() []any {
	return append([]any{&s.a.ID, &s.a.ClientID, &s.a.Name, &s.a.SecretHash, &s.uris, &s.scopes, &s.optional, &s.public,
		&s.a.CreatedBy, &s.created, &s.updated, &s.rotated}, s.policy.dest()...)
}

func (s *appScan) finish() (store.App, error) {
	a := s.a
	a.Public = s.public != 0
	a.Scopes, a.OptionalScopes = strings.Fields(s.scopes), strings.Fields(s.optional)
	a.CreatedAt, a.UpdatedAt, a.SecretRotatedAt = fromMS(s.created), fromMS(s.updated), fromMS(s.rotated)
	s.policy.finish(&a)
	if err := json.Unmarshal([]byte(s.uris), &a.RedirectURIs); err != nil {
		return a, fmt.Errorf("app %s redirect uris: %w", a.ClientID, err)
	}
	return a, nil
}

// policyScan receives appPolicyColumns.
type policyScan struct {
	rotation    int
	idle, total int64
}

func (s *policyScan) dest() []any { return []any{&s.rotation, &s.idle, &s.total} }

func (s *policyScan) finish(a *store.App) {
	a.RefreshTokenRotation = s.rotation != 0
	a.RefreshTokenIdleTTL, a.RefreshTokenAbsoluteTTL = time.Duration(s.idle)*time.Second, time.Duration(s.total)*time.Second
}

// seconds stores a lifetime in whole seconds.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func scanApp(row interface{ Scan(...any) error }) (store.App, error) {
	var s appScan
	if err := row.Scan(s.dest()...); err != nil {
		return s.a, err
	}
	return s.finish()
}

func (t *tx) CreateApp(ctx context.Context, a store.App) (store.App, error) {
	uris, err := json.Marshal(a.RedirectURIs)
	if err != nil {
		return a, err
	}
	err = t.queryRow(ctx, `INSERT INTO oauth_apps (client_id, name, secret_hash, redirect_uris, scopes,
		optional_scopes, public, created_by, created_at, updated_at, secret_rotated_at, `+appPolicyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.ClientID, a.Name, a.SecretHash, string(uris), strings.Join(a.Scopes, " "), strings.Join(a.OptionalScopes, " "),
		b2i(a.Public), a.CreatedBy, ms(a.CreatedAt), ms(a.UpdatedAt), ms(a.SecretRotatedAt),
		b2i(a.RefreshTokenRotation), seconds(a.RefreshTokenIdleTTL), seconds(a.RefreshTokenAbsoluteTTL)).Scan(&a.ID)
	a.CreatedAt, a.UpdatedAt, a.SecretRotatedAt = stored(a.CreatedAt), stored(a.UpdatedAt), stored(a.SecretRotatedAt)
	a.RefreshTokenIdleTTL, a.RefreshTokenAbsoluteTTL = a.RefreshTokenIdleTTL.Truncate(time.Second), a.RefreshTokenAbsoluteTTL.Truncate(time.Second)
	return a, t.uniqueErr(err, "app "+a.ClientID)
}

func (t *tx) App(ctx context.Context, id int64) (store.App, error) {
	a, err := scanApp(t.cachedQueryRow(ctx, qAppByID+t.forUpdate(), id))
	return a, notFound(err, fmt.Sprintf("app %d", id))
}

func (t *tx) AppByClientID(ctx context.Context, clientID string) (store.App, error) {
	a, err := scanApp(t.cachedQueryRow(ctx, qAppByClientID+t.forUpdate(), clientID))
	return a, notFound(err, "app "+clientID)
}

func (t *tx) Apps(ctx context.Context) ([]store.App, error) {
	rows, err := t.query(ctx, `SELECT `+appColumns+` FROM oauth_apps ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanApp)
}

func (t *tx) UpdateApp(ctx context.Context, a store.App) error {
	if err := t.bumpAuthGeneration(ctx); err != nil {
		return err
	}
	uris, err := json.Marshal(a.RedirectURIs)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE oauth_apps SET name = ?, secret_hash = ?, redirect_uris = ?, scopes = ?,
		optional_scopes = ?, public = ?, updated_at = ?, secret_rotated_at = ?, refresh_token_rotation = ?,
		refresh_token_idle_ttl = ?, refresh_token_absolute_ttl = ? WHERE id = ?`,
		a.Name, a.SecretHash, string(uris), strings.Join(a.Scopes, " "), strings.Join(a.OptionalScopes, " "),
		b2i(a.Public), ms(a.UpdatedAt), ms(a.SecretRotatedAt), b2i(a.RefreshTokenRotation),
		seconds(a.RefreshTokenIdleTTL), seconds(a.RefreshTokenAbsoluteTTL), a.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("app %d", a.ID))
}

func (t *tx) DeleteApp(ctx context.Context, id int64) error {
	if err := t.bumpAuthGeneration(ctx); err != nil {
		return err
	}
	res, err := t.exec(ctx, `DELETE FROM oauth_apps WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("app %d", id))
}

const grantColumns = `id, app_id, user_id, scopes, credentials_epoch, created_at, last_used_at, revoked_at, revoke_reason,
	refreshed_at`

// grantScan receives an oauth_grants row.
type grantScan struct {
	g                                 store.Grant
	scopes                            string
	created, used, revoked, refreshed int64
}

func (s *grantScan) dest() []any {
	return []any{&s.g.ID, &s.g.AppID, &s.g.UserID, &s.scopes, &s.g.CredentialsEpoch, &s.created, &s.used, &s.revoked,
		&s.g.RevokeReason, &s.refreshed}
}

func (s *grantScan) finish() store.Grant {
	g := s.g
	g.Scopes = strings.Fields(s.scopes)
	g.CreatedAt, g.LastUsedAt, g.RevokedAt = fromMS(s.created), fromMS(s.used), fromMS(s.revoked)
	g.RefreshedAt = fromMS(s.refreshed)
	return g
}

func scanGrant(row interface{ Scan(...any) error }) (store.Grant, error) {
	var s grantScan
	err := row.Scan(s.dest()...)
	return s.finish(), err
}

func (t *tx) CreateGrant(ctx context.Context, g store.Grant) error {
	_, err := t.exec(ctx, `INSERT INTO oauth_grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.AppID, g.UserID, strings.Join(g.Scopes, " "), g.CredentialsEpoch, ms(g.CreatedAt),
		ms(g.LastUsedAt), ms(g.RevokedAt), g.RevokeReason, ms(g.RefreshedAt))
	return t.uniqueErr(err, "grant "+g.ID)
}

func (t *tx) Grant(ctx context.Context, id string) (store.Grant, error) {
	g, err := scanGrant(t.cachedQueryRow(ctx, qGrantByID+t.forUpdate(), id))
	return g, notFound(err, "grant "+id)
}

func (t *tx) Grants(ctx context.Context, userID, appID int64) ([]store.Grant, error) {
	rows, err := t.query(ctx, `SELECT `+grantColumns+` FROM oauth_grants
		WHERE (? = 0 OR user_id = ?) AND (? = 0 OR app_id = ?) ORDER BY created_at DESC, id`,
		userID, userID, appID, appID)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanGrant)
}

func (t *tx) UpdateGrant(ctx context.Context, g store.Grant) error {
	if err := t.bumpAuthGenerationUnless(ctx, bumpAuthGrant, g.ID, strings.Join(g.Scopes, " "), g.CredentialsEpoch,
		ms(g.RevokedAt)); err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE oauth_grants SET scopes = ?, credentials_epoch = ?, last_used_at = ?,
		revoked_at = ?, revoke_reason = ?, refreshed_at = ? WHERE id = ?`,
		strings.Join(g.Scopes, " "), g.CredentialsEpoch, ms(g.LastUsedAt), ms(g.RevokedAt), g.RevokeReason,
		ms(g.RefreshedAt), g.ID)
	if err != nil {
		return err
	}
	return affectedOne(res, "grant "+g.ID)
}

func (t *tx) SetGrantRefreshed(ctx context.Context, id string, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE oauth_grants SET refreshed_at = ? WHERE id = ?`, ms(at), id)
	if err != nil {
		return err
	}
	return affectedOne(res, "grant "+id)
}

func (t *tx) CreateToken(ctx context.Context, tok store.Token) error {
	_, err := t.exec(ctx, `INSERT INTO oauth_tokens (kind, signature, grant_id, access_signature, active,
		expires_at, request, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tok.Kind, tok.Signature, tok.GrantID, tok.AccessSignature, b2i(tok.Active), ms(tok.ExpiresAt),
		string(tok.Request), ms(tok.CreatedAt))
	return t.uniqueErr(err, tok.Kind+" token")
}

const tokenColumns = `kind, signature, grant_id, access_signature, active, expires_at, created_at`

// tokenScan receives an oauth_tokens row without its request.
type tokenScan struct {
	t                store.Token
	active           int
	expires, created int64
}

func (s *tokenScan) dest() []any {
	return []any{&s.t.Kind, &s.t.Signature, &s.t.GrantID, &s.t.AccessSignature, &s.active, &s.expires, &s.created}
}

func (s *tokenScan) finish() store.Token {
	tok := s.t
	tok.Active, tok.ExpiresAt, tok.CreatedAt = s.active != 0, fromMS(s.expires), fromMS(s.created)
	return tok
}

func (t *tx) Token(ctx context.Context, kind, signature string) (store.Token, error) {
	var s tokenScan
	var request string
	err := t.cachedQueryRow(ctx, qToken+t.forUpdate(),
		kind, signature).Scan(append(s.dest(), &request)...)
	tok := s.finish()
	tok.Request = []byte(request)
	return tok, notFound(err, kind+" token")
}

// tokenGrantQuery runs on every API call with an OAuth token, so it reads
// only what the check needs. It still reads every column store.TokenGrant
// says it returns: a field left zero would read as false or never.
var tokenGrantQuery = hot(`SELECT ` + qualify("t", tokenColumns) + `, ` +
	qualify("g", grantColumns) + `, u.id, u.email, u.role, u.status, u.permissions, u.integrations_manage,
	u.credentials_epoch, a.id, a.client_id, a.name, a.public, a.created_by, a.created_at, a.updated_at,
	a.secret_rotated_at, ` + qualify("a", appPolicyColumns) + `
	FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id JOIN users u ON u.id = g.user_id
	JOIN oauth_apps a ON a.id = g.app_id WHERE t.kind = ? AND t.signature = ?`)

var (
	qAppByID       = hot(`SELECT ` + appColumns + ` FROM oauth_apps WHERE id = ?`)
	qAppByClientID = hot(`SELECT ` + appColumns + ` FROM oauth_apps WHERE client_id = ?`)
	qGrantByID     = hot(`SELECT ` + grantColumns + ` FROM oauth_grants WHERE id = ?`)
	qToken         = hot(`SELECT ` + tokenColumns + `, request FROM oauth_tokens WHERE kind = ? AND signature = ?`)
)

func (t *tx) TokenGrant(ctx context.Context, kind, signature string) (store.TokenGrant, error) {
	var out store.TokenGrant
	var ts tokenScan
	var gs grantScan
	var manage, public int
	var appCreated, appUpdated, appRotated int64
	var policy policyScan
	var perms []byte
	u, a := &out.User, &out.App
	dest := append(append(append(ts.dest(), gs.dest()...),
		&u.ID, &u.Email, &u.Role, &u.Status, &perms, &manage, &u.CredentialsEpoch, &a.ID, &a.ClientID, &a.Name,
		&public, &a.CreatedBy, &appCreated, &appUpdated, &appRotated), policy.dest()...)
	if err := t.cachedQueryRow(ctx, tokenGrantQuery, kind, signature).Scan(dest...); err != nil {
		return out, notFound(err, kind+" token")
	}
	out.Token, out.Grant = ts.finish(), gs.finish()
	policy.finish(a)
	u.IntegrationsManage = manage != 0
	a.Public = public != 0
	a.CreatedAt, a.UpdatedAt, a.SecretRotatedAt = fromMS(appCreated), fromMS(appUpdated), fromMS(appRotated)
	if err := json.Unmarshal(perms, &u.Permissions); err != nil {
		return out, fmt.Errorf("user %d permissions: %w", u.ID, err)
	}
	return out, nil
}

func (t *tx) DeactivateToken(ctx context.Context, kind, signature string) error {
	res, err := t.exec(ctx, `UPDATE oauth_tokens SET active = 0 WHERE kind = ? AND signature = ? AND active = 1`, kind, signature)
	if err != nil {
		return err
	}
	if err := affectedOne(res, "active "+kind+" token"); err != nil {
		return err
	}
	return t.bumpAuthFor(ctx, kind)
}

func (t *tx) SetTokenExpiry(ctx context.Context, kind, signature string, expiresAt time.Time) error {
	res, err := t.exec(ctx, `UPDATE oauth_tokens SET expires_at = ? WHERE kind = ? AND signature = ?`,
		ms(expiresAt), kind, signature)
	if err != nil {
		return err
	}
	return affectedOne(res, kind+" token")
}

func (t *tx) DeleteToken(ctx context.Context, kind, signature string) error {
	res, err := t.exec(ctx, `DELETE FROM oauth_tokens WHERE kind = ? AND signature = ?`, kind, signature)
	if err != nil {
		return err
	}
	if err := affectedOne(res, kind+" token"); err != nil {
		return err
	}
	return t.bumpAuthFor(ctx, kind)
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
	if _, err := t.exec(ctx, query, args...); err != nil {
		return err
	}
	return t.bumpAuthGeneration(ctx)
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

package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hubsync/hubsync/internal/store"
)

func (t *tx) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := t.queryRow(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	return v, notFound(err, "meta "+key)
}

func (t *tx) SetMeta(ctx context.Context, key, value string) error {
	_, err := t.exec(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

func (t *tx) Account(ctx context.Context) (store.Account, error) {
	var a store.Account
	var created int64
	err := t.queryRow(ctx, `SELECT hub_id, name, created_at FROM accounts WHERE id = 1`).
		Scan(&a.HubID, &a.Name, &created)
	a.CreatedAt = fromMS(created)
	return a, notFound(err, "account")
}

func (t *tx) CreateAccount(ctx context.Context, a store.Account) error {
	_, err := t.exec(ctx, `INSERT INTO accounts (id, hub_id, name, created_at) VALUES (1, ?, ?, ?)`,
		a.HubID, a.Name, ms(a.CreatedAt))
	return t.uniqueErr(err, "account")
}

const userColumns = `id, email, name, role, status, permissions, integrations_manage,
	password_hash, credentials_epoch, created_at, updated_at`

var qUserByID = hot(`SELECT ` + userColumns + ` FROM users WHERE id = ?`)

// userScan receives a users row; finish turns it into a User.
type userScan struct {
	u                store.User
	perms            []byte
	manage           int
	created, updated int64
}

func (s *userScan) dest() []any {
	return []any{&s.u.ID, &s.u.Email, &s.u.Name, &s.u.Role, &s.u.Status, &s.perms, &s.manage,
		&s.u.PasswordHash, &s.u.CredentialsEpoch, &s.created, &s.updated}
}

func (s *userScan) finish() (store.User, error) {
	u := s.u
	u.IntegrationsManage = s.manage != 0
	u.CreatedAt, u.UpdatedAt = fromMS(s.created), fromMS(s.updated)
	if err := json.Unmarshal(s.perms, &u.Permissions); err != nil {
		return u, fmt.Errorf("user %d permissions: %w", u.ID, err)
	}
	return u, nil
}

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var s userScan
	if err := row.Scan(s.dest()...); err != nil {
		return s.u, err
	}
	return s.finish()
}

func (t *tx) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	perms, err := json.Marshal(u.Permissions)
	if err != nil {
		return u, err
	}
	err = t.queryRow(ctx, `INSERT INTO users (email, name, role, status, permissions,
		integrations_manage, password_hash, credentials_epoch, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Email, u.Name, u.Role, u.Status, string(perms), b2i(u.IntegrationsManage),
		u.PasswordHash, u.CredentialsEpoch, ms(u.CreatedAt), ms(u.UpdatedAt)).Scan(&u.ID)
	u.CreatedAt, u.UpdatedAt = stored(u.CreatedAt), stored(u.UpdatedAt)
	return u, t.uniqueErr(err, "user "+u.Email)
}

func (t *tx) User(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(t.cachedQueryRow(ctx, qUserByID+t.forUpdate(), id))
	return u, notFound(err, fmt.Sprintf("user %d", id))
}

func (t *tx) UserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(t.queryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE email = ? AND status <> 'removed'`+t.forUpdate(), email))
	return u, notFound(err, "user "+email)
}

func (t *tx) Users(ctx context.Context) ([]store.User, error) {
	rows, err := t.query(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanUser)
}

func (t *tx) UpdateUser(ctx context.Context, u store.User) error {
	perms, err := json.Marshal(u.Permissions)
	if err != nil {
		return err
	}
	if err := t.bumpAuthGeneration(ctx); err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE users SET email = ?, name = ?, role = ?, status = ?,
		permissions = ?, integrations_manage = ?, password_hash = ?, credentials_epoch = ?,
		updated_at = ? WHERE id = ?`,
		u.Email, u.Name, u.Role, u.Status, string(perms), b2i(u.IntegrationsManage),
		u.PasswordHash, u.CredentialsEpoch, ms(u.UpdatedAt), u.ID)
	if err != nil {
		return t.uniqueErr(err, "user "+u.Email)
	}
	return affectedOne(res, fmt.Sprintf("user %d", u.ID))
}

func (t *tx) AppendIdentityEvent(ctx context.Context, e store.IdentityEvent) (store.IdentityEvent, error) {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return e, err
	}
	if err := t.lockFeed(ctx, feedIdentity); err != nil {
		return e, err
	}
	err = t.queryRow(ctx, `INSERT INTO identity_events (user_id, kind, detail, at)
		VALUES (?, ?, ?, ?) RETURNING seq`, e.UserID, e.Kind, string(detail), ms(e.At)).Scan(&e.Seq)
	e.At = stored(e.At)
	return e, err
}

func (t *tx) IdentityEvents(ctx context.Context, afterSeq int64, limit int) ([]store.IdentityEvent, error) {
	rows, err := t.query(ctx, `SELECT seq, user_id, kind, detail, at FROM identity_events
		WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []store.IdentityEvent
	for rows.Next() {
		var e store.IdentityEvent
		var detail []byte
		var at int64
		if err := rows.Scan(&e.Seq, &e.UserID, &e.Kind, &detail, &at); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		if err := json.Unmarshal(detail, &e.Detail); err != nil {
			return nil, fmt.Errorf("identity event %d: %w", e.Seq, err)
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// affectedOne turns an update that touched no row into ErrNotFound.
func affectedOne(res interface{ RowsAffected() (int64, error) }, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

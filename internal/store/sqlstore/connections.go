package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

const integrationColumns = `id, name, provider, auth_kind, config, secret, created_by, created_at, updated_at`

func scanIntegration(row interface{ Scan(...any) error }) (store.Integration, error) {
	var i store.Integration
	var config string
	var created, updated int64
	if err := row.Scan(&i.ID, &i.Name, &i.Provider, &i.AuthKind, &config, &i.Secret, &i.CreatedBy,
		&created, &updated); err != nil {
		return i, err
	}
	i.CreatedAt, i.UpdatedAt = fromMS(created), fromMS(updated)
	var err error
	i.Config, err = parseMap(config, fmt.Sprintf("integration %d config", i.ID))
	return i, err
}

func (t *tx) CreateIntegration(ctx context.Context, i store.Integration) (store.Integration, error) {
	err := t.queryRow(ctx, `INSERT INTO integrations (name, provider, auth_kind, config, secret,
		created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		i.Name, i.Provider, i.AuthKind, jsonText(i.Config), i.Secret, i.CreatedBy,
		ms(i.CreatedAt), ms(i.UpdatedAt)).Scan(&i.ID)
	i.CreatedAt, i.UpdatedAt = stored(i.CreatedAt), stored(i.UpdatedAt)
	return i, t.uniqueErr(err, "integration "+i.Name)
}

func (t *tx) Integration(ctx context.Context, id int64) (store.Integration, error) {
	i, err := scanIntegration(t.queryRow(ctx, `SELECT `+integrationColumns+` FROM integrations
		WHERE id = ?`+t.forUpdate(), id))
	return i, notFound(err, fmt.Sprintf("integration %d", id))
}

func (t *tx) IntegrationByName(ctx context.Context, name string) (store.Integration, error) {
	i, err := scanIntegration(t.queryRow(ctx, `SELECT `+integrationColumns+` FROM integrations
		WHERE name = ?`+t.forUpdate(), name))
	return i, notFound(err, "integration "+name)
}

func (t *tx) Integrations(ctx context.Context) ([]store.Integration, error) {
	rows, err := t.query(ctx, `SELECT `+integrationColumns+` FROM integrations ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanIntegration)
}

func (t *tx) UpdateIntegration(ctx context.Context, i store.Integration) error {
	res, err := t.exec(ctx, `UPDATE integrations SET name = ?, provider = ?, auth_kind = ?, config = ?,
		secret = ?, updated_at = ? WHERE id = ?`,
		i.Name, i.Provider, i.AuthKind, jsonText(i.Config), i.Secret, ms(i.UpdatedAt), i.ID)
	if err != nil {
		return t.uniqueErr(err, "integration "+i.Name)
	}
	return affectedOne(res, fmt.Sprintf("integration %d", i.ID))
}

func (t *tx) DeleteIntegration(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM integrations WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("integration %d", id))
}

// connectionWrite lists the columns UpdateConnection writes, in the order of
// connectionValues; CreateConnection adds who created it and when.
const connectionWrite = `integration_id, name, auth_mode, owner_id, maintainer_id, note, objects, scopes,
	external_identity, config, credential, credential_expires_at, refresh_lease_until, refresh_lease_owner,
	status, reason, reason_message, reason_detail, reason_since, next_step, status_changed_at, recovered_at,
	transient_failures, updated_at, last_used_at, last_success_at, last_error_at, last_error, last_run_at,
	last_check_at, next_check_at`

func connectionValues(c store.Connection) []any {
	return []any{c.IntegrationID, c.Name, c.AuthMode, c.OwnerID, c.MaintainerID, c.Note,
		strings.Join(c.Objects, " "), strings.Join(c.Scopes, " "), jsonText(c.External), jsonText(c.Config),
		c.Credential, ms(c.CredentialExpiresAt), ms(c.RefreshLeaseUntil), c.RefreshLeaseOwner,
		c.Status, c.Reason, c.ReasonMessage, c.ReasonDetail, ms(c.ReasonSince), c.NextStep,
		ms(c.StatusChangedAt), ms(c.RecoveredAt), c.TransientFailures, ms(c.UpdatedAt), ms(c.LastUsedAt),
		ms(c.LastSuccessAt), ms(c.LastErrorAt), c.LastError, ms(c.LastRunAt), ms(c.LastCheckAt),
		ms(c.NextCheckAt)}
}

const connectionColumns = `id, created_by, created_at, generation, ` + connectionWrite

// connectionTimes are a connection's times, so they can be given as stored.
func connectionTimes(c *store.Connection) []*time.Time {
	return []*time.Time{&c.CredentialExpiresAt, &c.RefreshLeaseUntil, &c.ReasonSince, &c.StatusChangedAt,
		&c.RecoveredAt, &c.CreatedAt, &c.UpdatedAt, &c.LastUsedAt, &c.LastSuccessAt, &c.LastErrorAt,
		&c.LastRunAt, &c.LastCheckAt, &c.NextCheckAt}
}

func scanConnection(row interface{ Scan(...any) error }) (store.Connection, error) {
	var c store.Connection
	var objects, scopes, external, config string
	var expires, lease, since, changed, recovered, created, updated, used, success, errored, run, checked, next int64
	if err := row.Scan(&c.ID, &c.CreatedBy, &created, &c.Generation, &c.IntegrationID, &c.Name, &c.AuthMode, &c.OwnerID,
		&c.MaintainerID, &c.Note, &objects, &scopes, &external, &config, &c.Credential, &expires, &lease,
		&c.RefreshLeaseOwner, &c.Status, &c.Reason, &c.ReasonMessage, &c.ReasonDetail, &since, &c.NextStep,
		&changed, &recovered, &c.TransientFailures, &updated, &used, &success, &errored, &c.LastError, &run,
		&checked, &next); err != nil {
		return c, err
	}
	c.CredentialExpiresAt, c.RefreshLeaseUntil, c.ReasonSince = fromMS(expires), fromMS(lease), fromMS(since)
	c.StatusChangedAt, c.RecoveredAt = fromMS(changed), fromMS(recovered)
	c.CreatedAt, c.UpdatedAt, c.LastUsedAt = fromMS(created), fromMS(updated), fromMS(used)
	c.LastSuccessAt, c.LastErrorAt, c.LastRunAt = fromMS(success), fromMS(errored), fromMS(run)
	c.LastCheckAt, c.NextCheckAt = fromMS(checked), fromMS(next)
	c.Objects, c.Scopes = strings.Fields(objects), strings.Fields(scopes)
	var err error
	if c.External, err = parseMap(external, fmt.Sprintf("connection %d external", c.ID)); err != nil {
		return c, err
	}
	c.Config, err = parseMap(config, fmt.Sprintf("connection %d config", c.ID))
	return c, err
}

func (t *tx) CreateConnection(ctx context.Context, c store.Connection) (store.Connection, error) {
	args := append([]any{c.CreatedBy, ms(c.CreatedAt)}, connectionValues(c)...)
	err := t.queryRow(ctx, `INSERT INTO connections (created_by, created_at, `+connectionWrite+`)
		VALUES (`+placeholders(len(args))+`) RETURNING id`, args...).Scan(&c.ID)
	for _, p := range connectionTimes(&c) {
		*p = stored(*p)
	}
	return c, err
}

// qConnection runs whenever a sync worker needs a connection's credential.
var qConnection = hot(`SELECT ` + connectionColumns + ` FROM connections WHERE id = ?`)

func (t *tx) Connection(ctx context.Context, id int64) (store.Connection, error) {
	var row *sql.Row
	if lock := t.forUpdate(); lock != "" {
		row = t.queryRow(ctx, qConnection+lock, id)
	} else {
		row = t.cachedQueryRow(ctx, qConnection, id)
	}
	c, err := scanConnection(row)
	return c, notFound(err, fmt.Sprintf("connection %d", id))
}

func (t *tx) Connections(ctx context.Context) ([]store.Connection, error) {
	rows, err := t.query(ctx, `SELECT `+connectionColumns+` FROM connections ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanConnection)
}

func (t *tx) UpdateConnection(ctx context.Context, c store.Connection) error {
	res, err := t.exec(ctx, qUpdateConnection, append(connectionValues(c), c.ID)...)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("connection %d", c.ID))
}

// ConnectionGeneration reads only the generation: a sync run asks before
// every write, so it is one narrow row read, held (shared) until commit
// inside Update so a change of the connection waits for the write.
func (t *tx) ConnectionGeneration(ctx context.Context, id int64) (int64, error) {
	var g int64
	err := t.queryRow(ctx, `SELECT generation FROM connections WHERE id = ?`+t.forShare(), id).Scan(&g)
	return g, notFound(err, fmt.Sprintf("connection %d", id))
}

func (t *tx) BumpConnectionGeneration(ctx context.Context, id int64) (int64, error) {
	var g int64
	err := t.queryRow(ctx, `UPDATE connections SET generation = generation + 1 WHERE id = ? RETURNING generation`, id).Scan(&g)
	return g, notFound(err, fmt.Sprintf("connection %d", id))
}

var qUpdateConnection = `UPDATE connections SET ` + assignments(connectionWrite) + ` WHERE id = ?`

// assignments turns a column list into "column = ?" pairs.
func assignments(columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c) + " = ?"
	}
	return strings.Join(cols, ", ")
}

const attemptColumns = `state_hash, integration_id, connection_id, actor_id, spec, verifier, created_at, expires_at`

func scanAttempt(row interface{ Scan(...any) error }) (store.ConnectAttempt, error) {
	var a store.ConnectAttempt
	var spec string
	var created, expires int64
	if err := row.Scan(&a.StateHash, &a.IntegrationID, &a.ConnectionID, &a.ActorID, &spec, &a.Verifier,
		&created, &expires); err != nil {
		return a, err
	}
	a.CreatedAt, a.ExpiresAt = fromMS(created), fromMS(expires)
	var err error
	a.Spec, err = parseMap(spec, "connect attempt spec")
	return a, err
}

func (t *tx) CreateConnectAttempt(ctx context.Context, a store.ConnectAttempt) error {
	_, err := t.exec(ctx, `INSERT INTO connect_attempts (`+attemptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.StateHash, a.IntegrationID, a.ConnectionID, a.ActorID, jsonText(a.Spec), a.Verifier,
		ms(a.CreatedAt), ms(a.ExpiresAt))
	return t.uniqueErr(err, "connect attempt")
}

// TakeConnectAttempt deletes and reads in one statement: of two
// transactions taking the same state, the second finds the row gone once
// the first commits, and so gets ErrNotFound.
func (t *tx) TakeConnectAttempt(ctx context.Context, stateHash []byte) (store.ConnectAttempt, error) {
	a, err := scanAttempt(t.queryRow(ctx, `DELETE FROM connect_attempts WHERE state_hash = ?
		RETURNING `+attemptColumns, stateHash))
	return a, notFound(err, "connect attempt")
}

func (t *tx) ConnectAttempts(ctx context.Context) ([]store.ConnectAttempt, error) {
	rows, err := t.query(ctx, `SELECT `+attemptColumns+` FROM connect_attempts ORDER BY created_at, state_hash`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanAttempt)
}

func (t *tx) UpdateConnectAttempt(ctx context.Context, a store.ConnectAttempt) error {
	res, err := t.exec(ctx, `UPDATE connect_attempts SET integration_id = ?, connection_id = ?, actor_id = ?,
		spec = ?, verifier = ?, created_at = ?, expires_at = ? WHERE state_hash = ?`,
		a.IntegrationID, a.ConnectionID, a.ActorID, jsonText(a.Spec), a.Verifier, ms(a.CreatedAt),
		ms(a.ExpiresAt), a.StateHash)
	if err != nil {
		return err
	}
	return affectedOne(res, "connect attempt")
}

func (t *tx) DeleteConnectAttemptsBefore(ctx context.Context, expiresBefore time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM connect_attempts WHERE expires_at < ?`, ms(expiresBefore))
	return err
}

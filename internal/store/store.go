// Package store declares hubsync's storage: the data types every backend keeps,
// the transaction-scoped interface they implement and the errors they return.
// It knows nothing of the rules that govern the data; those live in the domain
// packages (identity, crm, oauth) that run inside its transactions.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors, checked with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrKeyMismatch means the secret key given to the store is not the one its
	// stored hashes were made with.
	ErrKeyMismatch = errors.New("secret key does not match the database")
)

// Store opens transactions. Every read and write happens inside one.
type Store interface {
	// Update runs fn in a read-write transaction and commits when fn returns nil.
	// Single-row reads inside it lock the row until commit, so read-modify-write
	// closures are safe against concurrent writers.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// AuthGeneration is a number that moves, in the same transaction, with
	// every change that could make a token check answer differently, so a
	// checked token may be cached while it stays; read outside any
	// transaction, it costs one primary-key read.
	AuthGeneration(ctx context.Context) (int64, error)
	Close() error
}

// Tx is everything a transaction can do. Methods that assign ids return the
// stored value. Once a method fails the transaction is spent: PostgreSQL
// refuses every later statement, so the closure must return an error.
type Tx interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error

	Account(ctx context.Context) (Account, error)
	CreateAccount(ctx context.Context, a Account) error

	CreateUser(ctx context.Context, u User) (User, error)
	User(ctx context.Context, id int64) (User, error)
	// UserByEmail finds the user with this email who is not removed.
	UserByEmail(ctx context.Context, email string) (User, error)
	Users(ctx context.Context) ([]User, error)
	UpdateUser(ctx context.Context, u User) error
	AppendIdentityEvent(ctx context.Context, e IdentityEvent) (IdentityEvent, error)
	IdentityEvents(ctx context.Context, afterSeq int64, limit int) ([]IdentityEvent, error)

	CreatePrivateApp(ctx context.Context, p PrivateApp) (PrivateApp, error)
	PrivateApp(ctx context.Context, id int64) (PrivateApp, error)
	// PrivateAppByTokenHash finds the app whose current or previous token has
	// this hash; the caller decides whether a previous token is still in grace.
	PrivateAppByTokenHash(ctx context.Context, hash []byte) (PrivateApp, error)
	PrivateApps(ctx context.Context) ([]PrivateApp, error)
	UpdatePrivateApp(ctx context.Context, p PrivateApp) error
	DeletePrivateApp(ctx context.Context, id int64) error

	CreateProperty(ctx context.Context, p Property) error
	// Properties returns the custom properties of an object type by name,
	// archived ones included.
	Properties(ctx context.Context, objectType string) ([]Property, error)
	// UpdateProperty replaces a property's definition, found by object type
	// and name; ErrNotFound if there is none.
	UpdateProperty(ctx context.Context, p Property) error

	// InsertRecords stores new records, assigning ids in input order.
	InsertRecords(ctx context.Context, recs []Record) ([]Record, error)
	UpdateRecords(ctx context.Context, recs []Record) error
	// Records returns the records with these ids, in any order, skipping
	// ids that do not exist or are of another type.
	Records(ctx context.Context, objectType string, ids []int64) ([]Record, error)
	// RecordsByValue returns the live records whose property equals one of
	// values, with ASCII letters compared without case; other letters must
	// match as stored, on every backend, so callers fold them first.
	RecordsByValue(ctx context.Context, objectType, property string, values []string) ([]Record, error)
	ListRecords(ctx context.Context, objectType string, archived bool, afterID int64, limit int) ([]Record, error)
	SearchRecords(ctx context.Context, q Query) (recs []Record, total int, err error)
	// EnsureIndex makes lookups of a property fast; unique also enforces
	// one live record per value, failing with ErrAlreadyExists otherwise.
	EnsureIndex(ctx context.Context, objectType, property string, unique bool) error

	CreateApp(ctx context.Context, a App) (App, error)
	App(ctx context.Context, id int64) (App, error)
	AppByClientID(ctx context.Context, clientID string) (App, error)
	Apps(ctx context.Context) ([]App, error)
	UpdateApp(ctx context.Context, a App) error
	DeleteApp(ctx context.Context, id int64) error

	// CreateGrant stores a grant; ErrAlreadyExists if its id is taken.
	CreateGrant(ctx context.Context, g Grant) error
	Grant(ctx context.Context, id string) (Grant, error)
	// Grants lists grants, newest first, of one user or app when the id is
	// not zero.
	Grants(ctx context.Context, userID, appID int64) ([]Grant, error)
	UpdateGrant(ctx context.Context, g Grant) error
	// SetGrantRefreshed notes a grant's refresh; ErrNotFound if there is
	// none. It is the one write of a refresh that keeps its refresh token.
	SetGrantRefreshed(ctx context.Context, id string, at time.Time) error

	CreateToken(ctx context.Context, t Token) error
	Token(ctx context.Context, kind, signature string) (Token, error)
	// TokenGrant reads a token with its grant, user and app in one query.
	TokenGrant(ctx context.Context, kind, signature string) (TokenGrant, error)
	// DeactivateToken marks an active token used or revoked; ErrNotFound
	// when no active token has that signature, so two racing uses cannot
	// both succeed.
	DeactivateToken(ctx context.Context, kind, signature string) error
	DeleteToken(ctx context.Context, kind, signature string) error
	// SetTokenExpiry moves a token's end; ErrNotFound if there is none.
	SetTokenExpiry(ctx context.Context, kind, signature string, expiresAt time.Time) error
	// DeactivateGrantTokens marks a grant's tokens of the given kinds (all
	// kinds when none are given) inactive.
	DeactivateGrantTokens(ctx context.Context, grantID string, kinds ...string) error

	CreateWebSession(ctx context.Context, s WebSession) error
	WebSession(ctx context.Context, idHash []byte) (WebSession, error)
	DeleteWebSession(ctx context.Context, idHash []byte) error

	// SignInCounter returns key's counter, a zero one when it has none.
	// Inside Update it locks the counter's row (creating it if need be),
	// so concurrent attempts on one key are counted one after another.
	SignInCounter(ctx context.Context, key string) (SignInCounter, error)
	// PutSignInCounter stores a counter, replacing the key's.
	PutSignInCounter(ctx context.Context, c SignInCounter) error
	DeleteSignInCounter(ctx context.Context, key string) error
	// DeleteSignInCountersBefore deletes the counters whose last failure
	// is before t and returns how many it deleted.
	DeleteSignInCountersBefore(ctx context.Context, t time.Time) (int, error)

	CreateAdminToken(ctx context.Context, t AdminToken) (AdminToken, error)
	AdminToken(ctx context.Context, id int64) (AdminToken, error)
	AdminTokenByHash(ctx context.Context, hash []byte) (AdminToken, error)
	// AdminTokens lists tokens by id, of one user when userID is not zero.
	AdminTokens(ctx context.Context, userID int64) ([]AdminToken, error)
	UpdateAdminToken(ctx context.Context, t AdminToken) error
	DeleteAdminToken(ctx context.Context, id int64) error

	AppendChanges(ctx context.Context, cs []Change) error
	// Changes returns changes with a sequence above afterSeq, in order.
	Changes(ctx context.Context, afterSeq int64, limit int) ([]Change, error)
	// ChangeRefs is Changes without each change's values (Props stays
	// nil), for a reader that reads the records themselves.
	ChangeRefs(ctx context.Context, afterSeq int64, limit int) ([]Change, error)
	// ChangeSources reads up to limit changes after afterSeq and returns
	// the distinct object types and sources among them, how many changes
	// it read and the sequence of the last (afterSeq when none): enough to
	// learn who should hear of them without reading their values.
	ChangeSources(ctx context.Context, afterSeq int64, limit int) (ChangeSourcesPage, error)
	// LastChangeSeq is the sequence of the newest change, 0 when none.
	LastChangeSeq(ctx context.Context) (int64, error)
	// FeedIDs reads up to limit entries of the change feed after afterSeq,
	// of every object type, and returns the ids of objectType's records
	// they name, each once, in the order of its last entry read.
	FeedIDs(ctx context.Context, objectType string, afterSeq int64, limit int) (FeedPage, error)
	// PropertyChanges returns the newest changes of each record that set
	// property (a value or "" for a clear), at most limit per record, by
	// record and newest first.
	PropertyChanges(ctx context.Context, recordIDs []int64, property string, limit int) ([]Change, error)

	CreateIntegration(ctx context.Context, i Integration) (Integration, error)
	Integration(ctx context.Context, id int64) (Integration, error)
	// IntegrationByName finds an integration by its unique name.
	IntegrationByName(ctx context.Context, name string) (Integration, error)
	Integrations(ctx context.Context) ([]Integration, error)
	UpdateIntegration(ctx context.Context, i Integration) error
	DeleteIntegration(ctx context.Context, id int64) error

	CreateConnection(ctx context.Context, c Connection) (Connection, error)
	// Connection reads one connection; inside Update it locks the row.
	Connection(ctx context.Context, id int64) (Connection, error)
	// Connections lists every connection by id, disconnected ones included.
	Connections(ctx context.Context) ([]Connection, error)
	UpdateConnection(ctx context.Context, c Connection) error
	// ConnectionGeneration reads a connection's generation; inside Update
	// it holds the row (shared) until commit, so a change that bumps the
	// generation cannot commit between the read and the commit.
	ConnectionGeneration(ctx context.Context, id int64) (int64, error)
	// BumpConnectionGeneration moves a connection's generation on by one
	// and returns it.
	BumpConnectionGeneration(ctx context.Context, id int64) (int64, error)

	CreatePendingRevoke(ctx context.Context, r PendingRevoke) (PendingRevoke, error)
	// PendingRevoke reads one; inside Update it locks the row.
	PendingRevoke(ctx context.Context, id int64) (PendingRevoke, error)
	// PendingRevokes lists a connection's pending revokes by id, or every
	// one when connectionID is 0.
	PendingRevokes(ctx context.Context, connectionID int64) ([]PendingRevoke, error)
	// DuePendingRevokes returns up to limit revokes whose next attempt is
	// at or before now, oldest first, and locks them inside Update
	// (skipping rows other transactions hold).
	DuePendingRevokes(ctx context.Context, now time.Time, limit int) ([]PendingRevoke, error)
	UpdatePendingRevoke(ctx context.Context, r PendingRevoke) error
	DeletePendingRevoke(ctx context.Context, id int64) error

	CreateConnectAttempt(ctx context.Context, a ConnectAttempt) error
	// TakeConnectAttempt reads and deletes an attempt, so a state is used
	// once; ErrNotFound when there is none.
	TakeConnectAttempt(ctx context.Context, stateHash []byte) (ConnectAttempt, error)
	ConnectAttempts(ctx context.Context) ([]ConnectAttempt, error)
	UpdateConnectAttempt(ctx context.Context, a ConnectAttempt) error
	DeleteConnectAttemptsBefore(ctx context.Context, expiresBefore time.Time) error

	// AddConnectionReview records a review of a connection.
	AddConnectionReview(ctx context.Context, r ConnectionReview) (ConnectionReview, error)
	// LastConnectionReviews returns the newest review of every connection
	// reviewed at least once, by connection id.
	LastConnectionReviews(ctx context.Context) ([]ConnectionReview, error)

	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	AuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)

	CreateWebhook(ctx context.Context, w Webhook) (Webhook, error)
	Webhook(ctx context.Context, id int64) (Webhook, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	UpdateWebhook(ctx context.Context, w Webhook) error
	DeleteWebhook(ctx context.Context, id int64) error
	CreateDelivery(ctx context.Context, d Delivery) (Delivery, error)
	// DueDeliveries returns up to limit pending deliveries whose next
	// attempt is at or before now, oldest first, and locks them inside
	// Update (skipping rows other transactions hold).
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// LastDelivery is the newest delivery of a webhook for a connection in
	// one of the states; ErrNotFound when there is none.
	LastDelivery(ctx context.Context, webhookID, connectionID int64, states ...string) (Delivery, error)
	// Deliveries lists a webhook's deliveries, newest first.
	Deliveries(ctx context.Context, webhookID int64, limit int) ([]Delivery, error)
	UpdateDelivery(ctx context.Context, d Delivery) error

	CreateObjectSync(ctx context.Context, o ObjectSync) (ObjectSync, error)
	ObjectSync(ctx context.Context, id int64) (ObjectSync, error)
	// ObjectSyncs lists a connection's object syncs by id.
	ObjectSyncs(ctx context.Context, connectionID int64) ([]ObjectSync, error)
	UpdateObjectSync(ctx context.Context, o ObjectSync) error
	// DeleteObjectSync deletes an object sync with its links, cursors and
	// record errors.
	DeleteObjectSync(ctx context.Context, id int64) error

	// LinksByHubID and LinksByExternalID return the links of a sync among
	// these ids, in any order, skipping ids without one.
	LinksByHubID(ctx context.Context, syncID int64, hubIDs []int64) ([]Link, error)
	LinksByExternalID(ctx context.Context, syncID int64, externalIDs []string) ([]Link, error)
	// PutLinks inserts or replaces links by (sync, hub id); a link's
	// external id is unique within its sync too: ErrAlreadyExists when
	// another link of the sync holds it. An external id a link gives up in
	// one call is free only after that call.
	PutLinks(ctx context.Context, links []Link) error
	// SetLinkExternalIDs sets the external id of each of the links that
	// exists, leaving the rest of it as stored, and returns how many it
	// found. It suits links whose snapshot was stored before and whose
	// new external id no link of the call holds.
	SetLinkExternalIDs(ctx context.Context, links []Link) (int, error)
	CountLinks(ctx context.Context, syncID int64) (int, error)
	// ForgetSnapshotFields drops keys from the snapshot of every link of a
	// sync, leaving the rest of each link as it is.
	ForgetSnapshotFields(ctx context.Context, syncID int64, keys []string) error

	// SyncCursor is a side's opaque position; "" when the side has none.
	SyncCursor(ctx context.Context, syncID int64, side string) (string, error)
	SetSyncCursor(ctx context.Context, syncID int64, side, position string) error

	CreateSyncRun(ctx context.Context, r SyncRun) (SyncRun, error)
	UpdateSyncRun(ctx context.Context, r SyncRun) error
	// SyncRuns lists a connection's runs, newest first.
	SyncRuns(ctx context.Context, connectionID int64, limit int) ([]SyncRun, error)
	// SyncRunsBefore lists a connection's runs older than run beforeID
	// (by id), newest first, at most limit: the next page of SyncRuns.
	SyncRunsBefore(ctx context.Context, connectionID, beforeID int64, limit int) ([]SyncRun, error)
	// SyncRunTotals sums the counts of a connection's runs that started at
	// or after since, per hour they started in and count key, in no order.
	SyncRunTotals(ctx context.Context, connectionID int64, since time.Time) ([]RunTotal, error)
	// SyncRunsWithStatus lists the runs of every connection that have
	// status, oldest first.
	SyncRunsWithStatus(ctx context.Context, status string) ([]SyncRun, error)

	// PutRecordError records a refusal, or counts one more attempt of an
	// open error of the same sync, side and record.
	PutRecordError(ctx context.Context, e RecordError) (RecordError, error)
	// RecordErrors lists the errors of a connection's syncs, newest first;
	// open only when unresolved is set.
	RecordErrors(ctx context.Context, connectionID int64, unresolved bool, limit int) ([]RecordError, error)
	ResolveRecordError(ctx context.Context, id int64, at time.Time) error
}

// FeedPage is what FeedIDs read: the ids it found, the sequence of the
// last entry it read (afterSeq when none) and how many entries it read.
type FeedPage struct {
	IDs  []int64
	Last int64
	Read int
}

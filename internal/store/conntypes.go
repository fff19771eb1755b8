package store

import "time"

// Integration is a provider plus this hub's registration with it: for an
// OAuth provider, the client id and sealed secret the hub uses there.
type Integration struct {
	ID       int64
	Name     string
	Provider string // "hubspot", "postgres"
	AuthKind string // "oauth2", "private_app", "password"
	// Config holds the provider's public settings (URLs, client id, scopes).
	Config map[string]string
	// Secret is sealed by the vault; nil when the integration has none.
	Secret    []byte
	CreatedBy int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Connection links the hub to one external app through an integration.
type Connection struct {
	ID            int64
	IntegrationID int64
	Name          string
	AuthMode      string // "user" | "app"
	// OwnerID is the connector user in user mode and the person accountable
	// in app mode; 0 when nobody owns it.
	OwnerID      int64
	MaintainerID int64
	Note         string
	Objects      []string // hub objects the connection syncs
	Scopes       []string // scopes the external side granted
	// External describes the external identity (account id, user, table).
	External map[string]string
	// Config holds per-connection provider settings (a table name, say).
	Config map[string]string
	// Credential is sealed by the vault.
	Credential []byte
	// CredentialExpiresAt is when the current access token expires; zero
	// when the credential does not expire.
	CredentialExpiresAt time.Time
	// RefreshLeaseUntil and RefreshLeaseOwner make a token refresh run once
	// across replicas: whoever holds an unexpired lease is refreshing.
	RefreshLeaseUntil time.Time
	RefreshLeaseOwner string
	// Generation moves on with every change a sync run under way must stop
	// for: the connection's status, owner or mode, its connector user's
	// standing, a change or removal of one of its object syncs. Only
	// BumpConnectionGeneration writes it; UpdateConnection leaves it alone,
	// so a stale copy written back cannot move it back.
	Generation int64

	Status string
	// Reason, ReasonMessage, ReasonSince and NextStep explain a status
	// other than active; ReasonDetail names what is affected (objects, say).
	Reason        string
	ReasonMessage string
	ReasonDetail  string
	ReasonSince   time.Time
	NextStep      string
	// StatusChangedAt is when Status last changed; RecoveredAt when it last
	// came back to active.
	StatusChangedAt time.Time
	RecoveredAt     time.Time
	// TransientFailures counts failures in a row that were not definite.
	TransientFailures int

	CreatedBy     int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastUsedAt    time.Time
	LastSuccessAt time.Time
	LastErrorAt   time.Time
	LastError     string
	LastRunAt     time.Time
	LastCheckAt   time.Time
	NextCheckAt   time.Time
}

// Causes of a pending revoke.
const (
	RevokeReplaced = "reconnect" // a reconnect replaced the credential
	RevokeDeleted  = "delete"    // the connection was deleted
	// RevokeUnused is a grant the external app issued to a connect or
	// reconnect that then failed, so nothing will use it.
	RevokeUnused = "unused"
)

// PendingRevoke is a credential the hub stopped using that is still to be
// revoked on the external side. It is kept, sealed, until the revoke
// succeeds or is given up.
type PendingRevoke struct {
	ID            int64
	IntegrationID int64
	ConnectionID  int64 // 0 for the grant of a connection never made
	// Credential is sealed by the vault.
	Credential    []byte
	Cause         string // RevokeReplaced, RevokeDeleted or RevokeUnused
	Attempts      int
	NextAttemptAt time.Time
	LastError     string // never holds a secret
	CreatedAt     time.Time
}

// ConnectAttempt is an OAuth connect or reconnect waiting for its callback.
// It is found by the keyed hash of its state parameter.
type ConnectAttempt struct {
	StateHash     []byte
	IntegrationID int64
	ConnectionID  int64 // 0 for a new connection
	ActorID       int64
	// Spec is what the new or reconnected connection should be.
	Spec map[string]string
	// Verifier is the PKCE code verifier, sealed by the vault.
	Verifier  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuditEvent is one entry of the audit log. Before and After never hold a
// secret.
type AuditEvent struct {
	Seq        int64
	At         time.Time
	ActorID    int64
	Actor      string // email, "cli" or "system"
	Action     string // e.g. "connection.transfer"
	TargetType string
	TargetID   string
	Before     map[string]string
	After      map[string]string
}

// AuditQuery selects audit events, newest first.
type AuditQuery struct {
	TargetType string // "" for every type
	TargetID   string // "" for every target
	// Actor is who did it: a user's email, "cli" or "system"; "" for anyone.
	Actor string
	// Action is one action ("connection.pause"), or every action of a kind
	// when it ends with a dot ("connection."); "" for every action.
	Action    string
	Since     time.Time // events at or after; zero for no bound
	Until     time.Time // events before; zero for no bound
	BeforeSeq int64     // 0 for the newest
	Limit     int
}

// Webhook is a subscription to connection events.
type Webhook struct {
	ID        int64
	URL       string
	Secret    []byte   // sealed by the vault
	Events    []string // event kinds, e.g. "connection.broken"
	CreatedBy int64
	CreatedAt time.Time
}

// Delivery states.
const (
	DeliveryPending    = "pending"
	DeliveryDelivered  = "delivered"
	DeliveryFailed     = "failed"
	DeliverySuppressed = "suppressed"
)

// Delivery is one event on its way to one webhook.
type Delivery struct {
	ID            int64
	WebhookID     int64
	ConnectionID  int64
	Event         string
	Payload       string // JSON body, without secrets
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	// StatusCode is the receiver's HTTP answer to the last attempt; 0 when
	// none came (not attempted yet, or a network error).
	StatusCode  int
	CreatedAt   time.Time
	DeliveredAt time.Time
}

// ConnectionReview is a person's attestation, in an access review, that a
// connection is still wanted and in the right hands.
type ConnectionReview struct {
	ID           int64
	ConnectionID int64
	ReviewerID   int64  // 0 for the command line
	Reviewer     string // email, or "cli"
	ReviewedAt   time.Time
	Note         string
}

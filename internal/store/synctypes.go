package store

import "time"

// Sync directions.
const (
	DirectionTwoWay = "two_way"
	DirectionToHub  = "to_hub"
	DirectionToApp  = "to_app"
)

// ObjectSync is one object flowing through a connection: a hub object type
// paired with an external object, with its mappings, filters and rules.
type ObjectSync struct {
	ID           int64
	ConnectionID int64
	HubObject    string // contacts, companies, deals
	// ExternalObject is the external object type, or a table for postgres.
	ExternalObject string
	Direction      string
	Mappings       []FieldMapping
	HubFilters     []Filter // all must hold for a hub record to sync
	AppFilters     []Filter // all must hold for an external record to sync
	// HubMatchKey and AppMatchKey pair records seen for the first time
	// (email for contacts, domain for companies); empty means never match,
	// always create.
	HubMatchKey      string
	AppMatchKey      string
	ConflictRule     string // most_recent, hub_wins, app_wins
	PropagateDeletes bool
	Enabled          bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// FieldMapping pairs a hub property with an external field.
type FieldMapping struct {
	Hub       string `json:"hub"`
	App       string `json:"app"`
	Direction string `json:"direction"`      // as ObjectSync.Direction; empty means the sync's
	Type      string `json:"type,omitempty"` // text, number, date, datetime, boolean, enumeration
}

// Filter is one property comparison.
type Filter struct {
	Property string `json:"property"`
	Operator string `json:"operator"` // eq, neq, has, not_has, in, not_in, gt, lt
	Value    string `json:"value,omitempty"`
}

// Link pairs a hub record with an external record in one object sync, with
// the values last synced between them, keyed by hub property: the base of
// the three-way merge, and what makes the engine's own writes come back as
// no change.
type Link struct {
	SyncID     int64
	HubID      int64
	ExternalID string
	Snapshot   map[string]string
	// HubArchived and AppArchived say the record was archived or deleted on
	// that side and the archive was handled.
	HubArchived bool
	AppArchived bool
	UpdatedAt   time.Time
}

// Sides of a sync.
const (
	SideHub = "hub"
	SideApp = "app"
)

// SyncRun is one run of a connection's syncs.
type SyncRun struct {
	ID           int64
	ConnectionID int64
	Trigger      string // schedule, change, manual, reconnect
	Status       string // running, succeeded, failed, held, interrupted
	StartedAt    time.Time
	FinishedAt   time.Time
	// HeartbeatAt is when the process running it last saved it: the time
	// it was last seen alive.
	HeartbeatAt time.Time
	// Counts are keyed "<object>.<direction>.<what>", e.g.
	// "contacts.to_app.created".
	Counts map[string]int
	Error  string
}

// RunTotal is the sum of one count key over the runs that started in one
// hour.
type RunTotal struct {
	Hour time.Time // the hour's start, UTC
	Key  string    // as SyncRun.Counts keys it
	Sum  int
}

// RecordError is a record one side refused, quarantined until retried.
type RecordError struct {
	ID         int64
	SyncID     int64
	Side       string // the side that refused the write
	HubID      int64  // 0 when the record exists only externally
	ExternalID string // "" when the record exists only in the hub
	Reason     string
	Message    string
	Attempts   int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt time.Time
}

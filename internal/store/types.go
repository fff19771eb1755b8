package store

import "time"

// Account is the hub itself; a database holds exactly one.
type Account struct {
	HubID     int64
	Name      string
	CreatedAt time.Time
}

// User is a person who signs in to the hub.
type User struct {
	ID                 int64
	Email              string
	Name               string
	Role               string
	Status             string
	Permissions        map[string]string // object type → "view" | "edit"
	IntegrationsManage bool
	PasswordHash       string
	CredentialsEpoch   int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// IdentityEvent records one lifecycle change of a user.
type IdentityEvent struct {
	Seq    int64
	UserID int64
	Kind   string
	Detail map[string]string
	At     time.Time
}

// PrivateApp is an account-owned API token with scopes.
type PrivateApp struct {
	ID        int64
	Name      string
	Scopes    []string
	TokenHash []byte
	// PreviousTokenHash stays valid until PreviousExpiresAt after a rotation.
	PreviousTokenHash []byte
	PreviousExpiresAt time.Time
	CreatedBy         int64 // user id, 0 when made by the command line
	CreatedAt         time.Time
	UpdatedAt         time.Time
	RotatedAt         time.Time
	LastUsedAt        time.Time
}

// Property is a custom property definition. Options hold enumeration choices.
type Property struct {
	ObjectType     string
	Name           string
	Label          string
	Type           string
	FieldType      string
	GroupName      string
	Description    string
	Options        []Option
	HasUniqueValue bool
	DisplayOrder   int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Archived properties keep their definition and their records' values,
	// hidden until the property is restored.
	Archived   bool
	ArchivedAt time.Time
}

// Option is one choice of an enumeration property.
type Option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Hidden       bool   `json:"hidden"`
	DisplayOrder int    `json:"displayOrder"`
}

// Record is a CRM object. Props holds stored property values only; values the
// hub derives (id, create and modify dates) come from the other fields.
type Record struct {
	ID         int64
	Type       string
	Props      map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
	ArchivedAt time.Time
}

// ChangeSource is an object type a change touched and who wrote it.
type ChangeSource struct {
	ObjectType string
	Source     string
}

// ChangeSourcesPage is what ChangeSources read: the distinct object types
// and sources, the number of changes read and the last one's sequence.
type ChangeSourcesPage struct {
	Sources []ChangeSource
	Read    int
	LastSeq int64
}

// Change is one entry of the change feed: what a write did to one record.
type Change struct {
	Seq        int64
	ObjectType string
	RecordID   int64
	Kind       string            // created, updated, archived, restored
	Props      map[string]string // changed properties and their new values; "" clears
	Source     string            // who wrote it, e.g. "private-app:3" or "cli"
	At         time.Time
}

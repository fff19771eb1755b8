package connector

import (
	"context"
	"time"
)

// Record is an external record as the sync engine sees it: values by
// external field name, as strings in the hub's formats (numbers as plain
// decimals, datetimes as ISO 8601 in UTC with milliseconds, dates as
// YYYY-MM-DD, booleans as "true"/"false"; "" is no value).
type Record struct {
	ID        string
	Props     map[string]string
	UpdatedAt time.Time
	Archived  bool
	// Origin is the IdempotencyKey the record was created with, where the
	// provider keeps one: the engine knows its own creates by it.
	Origin string
}

// Page is a batch of changes and the position after them.
type Page struct {
	Records []Record
	// Cursor is the opaque position after these records; the engine stores
	// it only once the records are synced, and passes it to the next read.
	Cursor string
	// More says another read would return more right away.
	More bool
}

// Reader is a connector that can list what changed on the external side.
type Reader interface {
	// Changes returns records of object modified at or after the cursor
	// ("" for the beginning), oldest first, with the given fields, at most
	// limit. Archived or deleted records come back with Archived set where
	// the provider can tell. Reading the same cursor again may return some
	// records twice; never fewer.
	Changes(ctx context.Context, t Target, c Credential, object string, fields []string, cursor string, limit int) (Page, error)
	// Get returns the records with these ids (missing ones are left out).
	Get(ctx context.Context, t Target, c Credential, object string, fields []string, ids []string) ([]Record, error)
	// FindBy returns live records whose field equals one of values,
	// compared without case, for matching on first contact.
	FindBy(ctx context.Context, t Target, c Credential, object, field string, values []string, fields []string) ([]Record, error)
}

// Write is one change to make on the external side.
type Write struct {
	// Ref is the caller's handle for this write, echoed in its result.
	Ref string
	// ID is the external record to update or archive; "" creates.
	ID string
	// IdempotencyKey identifies a create so that a replay after a crash
	// updates the record the first attempt made instead of making another;
	// providers that cannot keep one ignore it.
	IdempotencyKey string
	Props          map[string]string
	Archive        bool
}

// WriteResult is the outcome of one Write. Err is a *Error for a record the
// external side refused (the batch goes on); a failure of the whole call is
// returned by Apply instead.
type WriteResult struct {
	Ref       string
	ID        string
	UpdatedAt time.Time
	Created   bool
	Err       *Error
}

// Writer is a connector that can change external records, in batches.
type Writer interface {
	// MaxBatch is the most writes one Apply takes.
	MaxBatch() int
	Apply(ctx context.Context, t Target, c Credential, object string, writes []Write) ([]WriteResult, error)
}

// Preparer is a connector that sets up the external side before syncing
// (a trigger that stamps changes, an index); it is idempotent.
type Preparer interface {
	Prepare(ctx context.Context, t Target, c Credential) error
}

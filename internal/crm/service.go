// Package crm owns CRM records (contacts, companies, deals), their property
// definitions, search and the change feed. It holds HubSpot's rules for
// values and batches; the api package only translates HTTP to and from it.
package crm

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// MaxBatch is the most inputs one batch call takes, as on HubSpot.
const MaxBatch = 100

// Service applies the record rules to the store.
type Service struct {
	store store.Store
	now   func() time.Time
}

// NewService returns a Service over st.
func NewService(st store.Store) *Service {
	return &Service{store: st, now: time.Now}
}

// groupWriter is a store that can commit a write together with the writes
// other callers make at the same moment, each still failing alone: on a
// store with one writer, batches that queue share a commit instead of
// paying one each.
type groupWriter interface {
	UpdateGrouped(ctx context.Context, fn func(store.Tx) error) error
}

// writeRecords runs a batch of record writes in a write transaction, shared
// with concurrent batches where the store can. A shared write runs with a
// context its caller cannot cancel: SQLite interrupted mid-statement rolls
// back the whole transaction, the other callers' writes with it. The store
// still skips a call whose caller left before its turn.
func (s *Service) writeRecords(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	if g, ok := s.store.(groupWriter); ok {
		shared := context.WithoutCancel(ctx)
		return g.UpdateGrouped(ctx, func(tx store.Tx) error { return fn(shared, tx) })
	}
	return s.store.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
}

// Prepare creates the lookup indexes properties need: those of the
// built-in properties, and the unique ones of custom properties, which a
// migration may have dropped to rebuild them. It is idempotent and runs
// when the hub opens its store.
func (s *Service) Prepare(ctx context.Context) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		for _, ot := range objectTypes {
			custom, err := tx.Properties(ctx, ot.Name)
			if err != nil {
				return err
			}
			unique := slices.Clone(ot.Unique)
			for _, p := range custom {
				if p.HasUniqueValue {
					unique = append(unique, p.Name)
				}
			}
			for _, p := range ot.Indexed {
				if err := tx.EnsureIndex(ctx, ot.Name, p, false); err != nil {
					return err
				}
			}
			for _, p := range unique {
				if err := tx.EnsureIndex(ctx, ot.Name, p, true); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Select returns the named properties of a record as the API shows them:
// stored values, the derived id and dates, and nil for names without a
// value. No names means the type's defaults; the id and the create and
// modify dates always come along, as on HubSpot, so readers can track
// changes whatever they ask for.
func Select(ot *ObjectType, r store.Record, names []string) map[string]*string {
	names = Selected(ot, names)
	out := make(map[string]*string, len(names))
	for _, n := range names {
		if v, ok := value(r, n); ok {
			out[n] = &v
		} else {
			out[n] = nil
		}
	}
	return out
}

// Selected is the names Select shows, some perhaps twice.
func Selected(ot *ObjectType, names []string) []string {
	if len(names) == 0 {
		return ot.DefaultProps
	}
	return append(names[:len(names):len(names)], PropID, PropCreateDate, ot.ModifiedProp)
}

// Value is one property of a record as Select shows it, derived ones
// included; ok is false for a property without a value.
func Value(r store.Record, name string) (v string, ok bool) { return value(r, name) }

// value returns one property of a record, derived ones included.
func value(r store.Record, name string) (string, bool) {
	switch name {
	case PropID:
		return strconv.FormatInt(r.ID, 10), true
	case PropCreateDate:
		return FormatTime(r.CreatedAt), true
	case PropLastModified, PropHSLastModified:
		return FormatTime(r.UpdatedAt), true
	}
	v, ok := r.Props[name]
	return v, ok
}

// Changes returns change-feed entries after a sequence number, in order.
func (s *Service) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	var cs []store.Change
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		cs, err = tx.Changes(ctx, afterSeq, limit)
		return err
	})
	return cs, err
}

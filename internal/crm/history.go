package crm

import (
	"context"
	"slices"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// MaxHistory is the most versions of one property that a read returns:
// the newest ones. Older versions stay in the change feed.
const MaxHistory = 50

// MaxHistoryRecords is the most records a list returns per page when it
// returns history, as HubSpot lowers its page size for such reads.
const MaxHistoryRecords = 50

// Version is one value a property took, when and by whom (a change-feed
// source such as "private-app:3"). An empty value is a clear.
type Version struct {
	Value  string
	At     time.Time
	Source string
}

// History returns the versions of the named properties of each record,
// newest first, from the change feed. Names that are not stored properties
// of the type (unknown, archived, or kept by the hub) are skipped, as
// HubSpot skips them; every other name has an entry, empty if it never
// had a value.
func (s *Service) History(ctx context.Context, objectType string, ids []int64, names []string) (map[int64]map[string][]Version, error) {
	ot, err := LookupType(objectType)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	out := make(map[int64]map[string][]Version, len(ids))
	err = s.store.View(ctx, func(tx store.Tx) error {
		set, err := s.propertySet(ctx, tx, ot)
		if err != nil {
			return err
		}
		var stored []string
		for _, n := range names {
			if _, ok := set[n]; ok && !isDerived(n) && !slices.Contains(stored, n) {
				stored = append(stored, n)
			}
		}
		for _, id := range ids {
			out[id] = make(map[string][]Version, len(stored))
		}
		for _, n := range stored {
			cs, err := tx.PropertyChanges(ctx, ids, n, MaxHistory)
			if err != nil {
				return err
			}
			for _, id := range ids {
				out[id][n] = []Version{}
			}
			for _, c := range cs {
				out[c.RecordID][n] = append(out[c.RecordID][n], Version{Value: c.Props[n], At: c.At, Source: c.Source})
			}
		}
		return nil
	})
	return out, err
}

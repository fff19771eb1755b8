package crm

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// SyncWrite is one change the sync engine makes to a hub record.
type SyncWrite struct {
	ID      int64 // 0 creates
	Props   map[string]string
	Archive bool
}

// SyncOutcome is what became of one SyncWrite: the record as written, or
// Err when its values were refused (the others still go ahead).
type SyncOutcome struct {
	Record store.Record
	Err    error
}

// WriteTx applies the sync engine's writes inside its transaction, so the
// records, the engine's links and its cursor commit together. Each write is
// checked on its own: a refused value fails that write, not the batch. A
// taken unique value fails the whole call with the store's error, since the
// transaction is spent; the caller retries the writes one by one. Updates
// that change nothing leave no feed entry.
func (s *Service) WriteTx(ctx context.Context, tx store.Tx, source, objectType string, writes []SyncWrite) ([]SyncOutcome, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return nil, err
	}
	set, err := s.propertySet(ctx, tx, ot)
	if err != nil {
		return nil, err
	}
	out := make([]SyncOutcome, len(writes))
	var creates, updates []int
	var createProps, updateProps []map[string]string
	var archives []int64
	for i, w := range writes {
		if w.Archive {
			archives = append(archives, w.ID)
			continue
		}
		props, err := prepareAll(set, []map[string]string{w.Props})
		if err != nil {
			out[i].Err = err
			continue
		}
		if w.ID == 0 {
			creates, createProps = append(creates, i), append(createProps, props[0])
		} else {
			updates, updateProps = append(updates, i), append(updateProps, props[0])
		}
	}
	if len(creates) > 0 {
		recs, err := s.insert(ctx, tx, source, ot, set, createProps)
		if err != nil {
			return nil, err
		}
		for j, i := range creates {
			out[i].Record = recs[j]
		}
	}
	if err := s.updateByID(ctx, tx, source, ot, set, writes, updates, updateProps, out); err != nil {
		return nil, err
	}
	return out, s.archiveByID(ctx, tx, source, ot, archives)
}

func (s *Service) updateByID(ctx context.Context, tx store.Tx, source string, ot *ObjectType, set propertySet,
	writes []SyncWrite, idx []int, props []map[string]string, out []SyncOutcome) error {
	if len(idx) == 0 {
		return nil
	}
	ids := make([]int64, len(idx))
	for j, i := range idx {
		ids[j] = writes[i].ID
	}
	recs, err := tx.Records(ctx, ot.Name, ids)
	if err != nil {
		return err
	}
	byID := make(map[int64]store.Record, len(recs))
	for _, r := range recs {
		if !r.Archived {
			byID[r.ID] = r
		}
	}
	var targets []store.Record
	var changes []map[string]string
	var at []int
	for j, i := range idx {
		r, ok := byID[writes[i].ID]
		if !ok {
			out[i].Err = notFound(ot.Name, strconv.FormatInt(writes[i].ID, 10))
			continue
		}
		targets, changes, at = append(targets, r), append(changes, props[j]), append(at, i)
	}
	applied, err := s.apply(ctx, tx, source, ot, set, targets, changes)
	if err != nil {
		return err
	}
	for j, i := range at {
		out[i].Record = applied[j]
	}
	return nil
}

func (s *Service) archiveByID(ctx context.Context, tx store.Tx, source string, ot *ObjectType, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	recs, err := tx.Records(ctx, ot.Name, ids)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var live []store.Record
	var feed []store.Change
	for _, r := range recs {
		if r.Archived {
			continue
		}
		r.Archived, r.ArchivedAt, r.UpdatedAt = true, now, now
		live = append(live, r)
		feed = append(feed, store.Change{ObjectType: ot.Name, RecordID: r.ID, Kind: ChangeArchived,
			Props: map[string]string{}, Source: source, At: now})
	}
	slices.SortFunc(feed, func(a, b store.Change) int { return int(a.RecordID - b.RecordID) })
	if err := tx.UpdateRecords(ctx, live); err != nil {
		return err
	}
	return tx.AppendChanges(ctx, feed)
}

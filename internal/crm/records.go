package crm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Change kinds in the feed.
const (
	ChangeCreated  = "created"
	ChangeUpdated  = "updated"
	ChangeArchived = "archived"
)

// Input names one record of a batch update or upsert and the properties to set.
type Input struct {
	ID         string
	IDProperty string // empty or hs_object_id: ID is the record id
	Properties map[string]string
}

// UpsertResult is one record an upsert wrote, and whether it created it.
type UpsertResult struct {
	Record store.Record
	New    bool
}

// Create adds one record.
func (s *Service) Create(ctx context.Context, source, objectType string, props map[string]string) (store.Record, error) {
	recs, err := s.BatchCreate(ctx, source, objectType, []map[string]string{props})
	if err != nil {
		return store.Record{}, err
	}
	return recs[0], nil
}

// BatchCreate adds records, all or none.
func (s *Service) BatchCreate(ctx context.Context, source, objectType string, inputs []map[string]string) ([]store.Record, error) {
	ot, err := batchType(objectType, len(inputs))
	if err != nil {
		return nil, err
	}
	var out []store.Record
	err = s.writeRecords(ctx, func(ctx context.Context, tx store.Tx) error {
		set, err := s.propertySet(ctx, tx, ot)
		if err != nil {
			return err
		}
		news, err := prepareAll(set, inputs)
		if err != nil {
			return err
		}
		out, err = s.insert(ctx, tx, source, ot, set, news)
		return err
	})
	return out, s.explain(ctx, err)
}

// insert stores new records with their checked properties and feeds them.
func (s *Service) insert(ctx context.Context, tx store.Tx, source string, ot *ObjectType, set propertySet, props []map[string]string) ([]store.Record, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	recs := make([]store.Record, len(props))
	for i, p := range props {
		recs[i] = store.Record{Type: ot.Name, Props: nonEmpty(p), CreatedAt: now, UpdatedAt: now}
	}
	out, err := tx.InsertRecords(ctx, recs)
	if err != nil {
		return nil, taken(ot, set, recs, err)
	}
	recs = out
	changes := make([]store.Change, len(recs))
	for i, r := range recs {
		// The change shares the record's map: AppendChanges only encodes it,
		// and a copy per record was pure allocation.
		changes[i] = store.Change{ObjectType: ot.Name, RecordID: r.ID, Kind: ChangeCreated,
			Props: r.Props, Source: source, At: now}
	}
	return recs, tx.AppendChanges(ctx, changes)
}

// Get reads one record by id, or by a unique property named by idProperty.
// With archived it finds only archived records.
func (s *Service) Get(ctx context.Context, objectType, id, idProperty string, archived bool) (store.Record, error) {
	recs, missing, err := s.BatchRead(ctx, objectType, []string{id}, idProperty, archived)
	if err != nil {
		return store.Record{}, err
	}
	if len(missing) > 0 {
		return store.Record{}, notFound(objectType, id)
	}
	return recs[0], nil
}

// BatchRead reads records in input order and lists the ids it did not find.
func (s *Service) BatchRead(ctx context.Context, objectType string, ids []string, idProperty string, archived bool) ([]store.Record, []string, error) {
	ot, err := batchType(objectType, len(ids))
	if err != nil {
		return nil, nil, err
	}
	var recs []store.Record
	var missing []string
	err = s.store.View(ctx, func(tx store.Tx) error {
		set, hidden, err := s.readSet(ctx, tx, ot)
		if err != nil {
			return err
		}
		found, err := find(ctx, tx, ot, set, ids, idProperty, archived)
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			r, ok := found[id]
			switch {
			case !ok:
				missing = append(missing, id)
			case !seen[r.ID]:
				seen[r.ID] = true
				recs = append(recs, r)
			}
		}
		hideArchived(recs, hidden)
		return nil
	})
	return recs, missing, err
}

// Update changes one record's properties.
func (s *Service) Update(ctx context.Context, source, objectType, id, idProperty string, props map[string]string) (store.Record, error) {
	recs, missing, err := s.BatchUpdate(ctx, source, objectType, []Input{{ID: id, IDProperty: idProperty, Properties: props}})
	if err != nil {
		return store.Record{}, err
	}
	if len(missing) > 0 {
		return store.Record{}, notFound(objectType, id)
	}
	return recs[0], nil
}

// BatchUpdate changes live records and lists the ids it did not find. Any
// invalid input rejects the whole batch.
func (s *Service) BatchUpdate(ctx context.Context, source, objectType string, inputs []Input) ([]store.Record, []string, error) {
	ot, err := batchType(objectType, len(inputs))
	if err != nil {
		return nil, nil, err
	}
	var out []store.Record
	var missing []string
	err = s.writeRecords(ctx, func(ctx context.Context, tx store.Tx) error {
		set, err := s.propertySet(ctx, tx, ot)
		if err != nil {
			return err
		}
		found, err := findInputs(ctx, tx, ot, set, inputs)
		if err != nil {
			return err
		}
		var targets []store.Record
		var changes []map[string]string
		for i, in := range inputs {
			if r, ok := found[i]; ok {
				targets, changes = append(targets, r), append(changes, in.Properties)
			} else {
				missing = append(missing, in.ID)
			}
		}
		prepared, err := prepareAll(set, changes)
		if err != nil {
			return err
		}
		out, err = s.apply(ctx, tx, source, ot, set, targets, prepared)
		return err
	})
	return out, missing, s.explain(ctx, err)
}

// apply merges prepared changes into records, writing and feeding only what
// actually changed: a write that changes nothing leaves no trace, which keeps
// syncs from echoing each other's writes.
func (s *Service) apply(ctx context.Context, tx store.Tx, source string, ot *ObjectType, set propertySet, recs []store.Record, changes []map[string]string) ([]store.Record, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	var dirty []store.Record
	var feed []store.Change
	for i := range recs {
		diff := merge(&recs[i], changes[i])
		if len(diff) == 0 {
			continue
		}
		recs[i].UpdatedAt = now
		dirty = append(dirty, recs[i])
		feed = append(feed, store.Change{ObjectType: ot.Name, RecordID: recs[i].ID, Kind: ChangeUpdated,
			Props: diff, Source: source, At: now})
	}
	if len(dirty) == 0 {
		return recs, nil
	}
	if err := tx.UpdateRecords(ctx, dirty); err != nil {
		return nil, taken(ot, set, dirty, err)
	}
	return recs, tx.AppendChanges(ctx, feed)
}

// merge sets changes on r and returns what differed; "" clears a property.
func merge(r *store.Record, changes map[string]string) map[string]string {
	diff := map[string]string{}
	r.Props = maps.Clone(r.Props)
	if r.Props == nil {
		r.Props = map[string]string{}
	}
	for k, v := range changes {
		old, has := r.Props[k]
		switch {
		case v == "" && has:
			delete(r.Props, k)
			diff[k] = ""
		case v != "" && (!has || old != v):
			r.Props[k] = v
			diff[k] = v
		}
	}
	return diff
}

// BatchUpsert updates the records that inputs name by a unique property and
// creates the rest with that property set, all or none.
func (s *Service) BatchUpsert(ctx context.Context, source, objectType string, inputs []Input) ([]UpsertResult, error) {
	ot, err := batchType(objectType, len(inputs))
	if err != nil {
		return nil, err
	}
	out := make([]UpsertResult, len(inputs))
	err = s.writeRecords(ctx, func(ctx context.Context, tx store.Tx) error {
		set, err := s.propertySet(ctx, tx, ot)
		if err != nil {
			return err
		}
		if err := sameKeys(set, inputs); err != nil {
			return err
		}
		found, err := findInputs(ctx, tx, ot, set, inputs)
		if err != nil {
			return err
		}
		if err := distinctNewKeys(inputs, found); err != nil {
			return err
		}
		props := make([]map[string]string, len(inputs))
		for i, in := range inputs {
			props[i] = maps.Clone(in.Properties)
			if _, ok := found[i]; !ok {
				if in.IDProperty == "" || in.IDProperty == PropID {
					return notFound(ot.Name, in.ID)
				}
				if props[i] == nil {
					props[i] = map[string]string{}
				}
				props[i][in.IDProperty] = in.ID
			}
		}
		prepared, err := prepareAll(set, props)
		if err != nil {
			return err
		}
		return s.upsert(ctx, tx, source, ot, set, found, prepared, out)
	})
	return out, s.explain(ctx, err)
}

func (s *Service) upsert(ctx context.Context, tx store.Tx, source string, ot *ObjectType, set propertySet,
	found map[int]store.Record, prepared []map[string]string, out []UpsertResult) error {
	var olds []store.Record
	var oldChanges, news []map[string]string
	var oldAt, newAt []int
	for i, p := range prepared {
		if r, ok := found[i]; ok {
			olds, oldChanges, oldAt = append(olds, r), append(oldChanges, p), append(oldAt, i)
		} else {
			news, newAt = append(news, p), append(newAt, i)
		}
	}
	updated, err := s.apply(ctx, tx, source, ot, set, olds, oldChanges)
	if err != nil {
		return err
	}
	created, err := s.insert(ctx, tx, source, ot, set, news)
	if err != nil {
		return err
	}
	for j, i := range oldAt {
		out[i] = UpsertResult{Record: updated[j]}
	}
	for j, i := range newAt {
		out[i] = UpsertResult{Record: created[j], New: true}
	}
	return nil
}

// sameKeys refuses an upsert input whose properties give its idProperty
// another value than the id it is upserted by. HubSpot documents no answer;
// keeping either value would silently drop the other, so the client
// chooses: the id to find or create by, or batch update to change a key.
func sameKeys(set propertySet, inputs []Input) error {
	for i, in := range inputs {
		v, ok := in.Properties[in.IDProperty]
		p, known := set[in.IDProperty]
		if !ok || !known || in.IDProperty == PropID {
			continue
		}
		// Values that do not normalize are refused with their own reason.
		got, err1 := normalize(p.Property, v)
		want, err2 := normalize(p.Property, in.ID)
		if err1 == nil && err2 == nil && got != want {
			return invalid(CodeConflictingKey, "inputs[%d] is upserted by %s %s but its properties set %s to %q; send the same value, or change the %s with batch update",
				i, in.IDProperty, in.ID, in.IDProperty, v, in.IDProperty).with("propertyName", in.IDProperty)
		}
	}
	return nil
}

// distinctNewKeys refuses two inputs that would create the same record.
func distinctNewKeys(inputs []Input, found map[int]store.Record) error {
	seen := map[string]bool{}
	for i, in := range inputs {
		if _, ok := found[i]; ok {
			continue
		}
		key := in.IDProperty + "\x00" + strings.ToLower(in.ID)
		if seen[key] {
			return invalid(CodeDuplicateInput, "Duplicate id %s for %s in batch input", in.ID, in.IDProperty).with("ids", in.ID)
		}
		seen[key] = true
	}
	return nil
}

// Archive archives one record; archiving a missing record is not an error,
// as on HubSpot.
func (s *Service) Archive(ctx context.Context, source, objectType, id string) error {
	return s.BatchArchive(ctx, source, objectType, []string{id})
}

// BatchArchive archives live records, skipping ids that do not exist.
func (s *Service) BatchArchive(ctx context.Context, source, objectType string, ids []string) error {
	ot, err := batchType(objectType, len(ids))
	if err != nil {
		return err
	}
	return s.writeRecords(ctx, func(ctx context.Context, tx store.Tx) error {
		set, err := s.propertySet(ctx, tx, ot)
		if err != nil {
			return err
		}
		found, err := find(ctx, tx, ot, set, ids, "", false)
		if err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		var recs []store.Record
		var feed []store.Change
		done := map[int64]bool{}
		for _, r := range found {
			if done[r.ID] {
				continue
			}
			done[r.ID] = true
			r.Archived, r.ArchivedAt, r.UpdatedAt = true, now, now
			recs = append(recs, r)
			feed = append(feed, store.Change{ObjectType: ot.Name, RecordID: r.ID, Kind: ChangeArchived,
				Props: map[string]string{}, Source: source, At: now})
		}
		sort.Slice(feed, func(i, j int) bool { return feed[i].RecordID < feed[j].RecordID })
		if err := tx.UpdateRecords(ctx, recs); err != nil {
			return err
		}
		return tx.AppendChanges(ctx, feed)
	})
}

// List pages through records by id. after is the cursor a previous page
// returned; next is empty on the last page.
func (s *Service) List(ctx context.Context, objectType string, archived bool, after string, limit int) (recs []store.Record, next string, err error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return nil, "", err
	}
	var afterID int64
	if after != "" {
		if afterID, err = strconv.ParseInt(after, 10, 64); err != nil || afterID < 0 {
			return nil, "", invalid(CodeInvalidCursor, "after %q is not a cursor this hub returned", after).with("after", after)
		}
	}
	if limit, err = checkLimit(limit, 10, 100); err != nil {
		return nil, "", err
	}
	err = s.store.View(ctx, func(tx store.Tx) error {
		_, hidden, err := s.readSet(ctx, tx, ot)
		if err != nil {
			return err
		}
		recs, err = tx.ListRecords(ctx, ot.Name, archived, afterID, limit+1)
		hideArchived(recs, hidden)
		return err
	})
	if len(recs) > limit {
		recs = recs[:limit]
		next = strconv.FormatInt(recs[limit-1].ID, 10)
	}
	return recs, next, err
}

func checkLimit(limit, def, most int) (int, error) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 0 || limit > most:
		return 0, invalid(CodeInvalidLimit, "limit must be between 1 and %d, not %d", most, limit)
	}
	return limit, nil
}

func batchType(objectType string, n int) (*ObjectType, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return nil, err
	}
	if n > MaxBatch {
		return nil, invalid(CodeTooManyInputs, "A batch takes at most %d inputs; this one has %d", MaxBatch, n)
	}
	return ot, nil
}

// prepareAll checks and normalises every input, reporting every problem of
// the batch at once.
func prepareAll(set propertySet, inputs []map[string]string) ([]map[string]string, error) {
	// Names are taken in the map's order, and sorted only when something
	// is wrong, so that errors are listed in a stable order: sorting every
	// input's names was most of the cost of a valid batch.
	out := make([]map[string]string, len(inputs))
	for i, in := range inputs {
		out[i] = make(map[string]string, len(in))
		for name, value := range in {
			v, err := prepareValue(set, name, value)
			if err != nil {
				return nil, prepareErrors(set, inputs)
			}
			out[i][name] = v
		}
	}
	return out, nil
}

// prepareErrors lists what is wrong with inputs, by input and name.
func prepareErrors(set propertySet, inputs []map[string]string) error {
	var errs []*Error
	for _, in := range inputs {
		for _, name := range sortedKeys(in) {
			if _, err := prepareValue(set, name, in[name]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if e := propertyErrors(errs); e != nil {
		return e
	}
	return nil
}

// prepareValue checks that a property may be set and normalizes its value.
func prepareValue(set propertySet, name, value string) (string, *Error) {
	p, ok := set[name]
	switch {
	case !ok:
		return "", invalid(CodePropertyDoesntExist, "Property %q does not exist", name).with("propertyName", name)
	case p.ReadOnlyValue:
		return "", invalid(CodeReadOnlyValue, "%s is a read only property; its value cannot be set", name).with("propertyName", name)
	}
	return normalize(p.Property, value)
}

// sortedKeys is slices.Sorted(maps.Keys(m)) with one allocation instead of
// a growing slice: it runs for every input of every batch.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func nonEmpty(props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// uniqueTaken is a write the store refused because a unique value was
// taken. The store's unique indexes are the check, so the common case costs
// no lookup; explain names the culprit after the transaction.
type uniqueTaken struct {
	ot   *ObjectType
	set  propertySet
	recs []store.Record
}

func (e *uniqueTaken) Error() string { return "a unique value is taken" }

// Unwrap lets callers of the transaction-level writes tell a taken value
// from other failures.
func (e *uniqueTaken) Unwrap() error { return store.ErrAlreadyExists }

func taken(ot *ObjectType, set propertySet, recs []store.Record, err error) error {
	if errors.Is(err, store.ErrAlreadyExists) {
		return &uniqueTaken{ot: ot, set: set, recs: recs}
	}
	return err
}

// explain turns a refused unique value into an error naming the record that
// holds it, or the two inputs that share it.
func (s *Service) explain(ctx context.Context, err error) error {
	var t *uniqueTaken
	if !errors.As(err, &t) {
		return err
	}
	var why error
	if err := s.store.View(ctx, func(tx store.Tx) error {
		why = checkUnique(ctx, tx, t.ot, t.set, t.recs)
		return nil
	}); err != nil {
		return err
	}
	if why != nil {
		return why
	}
	// The holder let go of the value since: a concurrent write raced us.
	return &Error{Kind: KindConflict, Code: CodeObjectExists, Message: fmt.Sprintf(
		"Another write took a unique value of this %s at the same moment; nothing was written. Retry.", t.ot.Singular)}
}

// checkUnique fails when a unique property of recs would take a value that
// another live record holds or that two of recs share.
func checkUnique(ctx context.Context, tx store.Tx, ot *ObjectType, set propertySet, recs []store.Record) error {
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if !set[name].HasUniqueValue {
			continue
		}
		owner := map[string]int64{}
		var values []string
		for _, r := range recs {
			v := strings.ToLower(r.Props[name])
			if v == "" {
				continue
			}
			if _, dup := owner[v]; dup {
				return invalid(CodeDuplicateInput, "Two inputs share the %s %s", name, r.Props[name]).with("propertyName", name)
			}
			owner[v] = r.ID
			// As stored: the store folds it as its unique index does.
			values = append(values, r.Props[name])
		}
		existing, err := tx.RecordsByValue(ctx, ot.Name, name, values)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if owner[strings.ToLower(e.Props[name])] != e.ID {
				return (&Error{Kind: KindConflict, Code: CodeObjectExists, Message: fmt.Sprintf(
					"A %s with %s %s already exists. Existing ID: %d", ot.Singular, name, e.Props[name], e.ID)}).
					with("existingId", strconv.FormatInt(e.ID, 10))
			}
		}
	}
	return nil
}

package crm

import (
	"context"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// find returns the records that ids name, keyed by the id as given. With no
// idProperty (or hs_object_id) ids are record ids; otherwise they are values
// of that property, which must be unique, and only live records match.
func find(ctx context.Context, tx store.Tx, ot *ObjectType, set propertySet, ids []string, idProperty string, archived bool) (map[string]store.Record, error) {
	found := make(map[string]store.Record, len(ids))
	if idProperty == "" || idProperty == PropID {
		var nums []int64
		for _, id := range ids {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
				nums = append(nums, n)
			}
		}
		recs, err := tx.Records(ctx, ot.Name, nums)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]store.Record, len(recs))
		for _, r := range recs {
			if r.Archived == archived {
				byID[r.ID] = r
			}
		}
		for _, id := range ids {
			n, _ := strconv.ParseInt(id, 10, 64)
			if r, ok := byID[n]; ok {
				found[id] = r
			}
		}
		return found, nil
	}
	p, ok := set[idProperty]
	if !ok {
		return nil, invalid(CodePropertyDoesntExist, "idProperty %q does not exist", idProperty).with("propertyName", idProperty)
	}
	if !p.HasUniqueValue {
		return nil, invalid(CodeInvalidValue, "idProperty %s does not hold unique values, so it cannot identify a record", idProperty).with("propertyName", idProperty)
	}
	if archived {
		return found, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = LookupValue(idProperty, id)
	}
	recs, err := tx.RecordsByValue(ctx, ot.Name, idProperty, keys)
	if err != nil {
		return nil, err
	}
	byValue := make(map[string]store.Record, len(recs))
	for _, r := range recs {
		byValue[strings.ToLower(r.Props[idProperty])] = r
	}
	for i, id := range ids {
		if r, ok := byValue[strings.ToLower(keys[i])]; ok {
			found[id] = r
		}
	}
	return found, nil
}

// findInputs resolves batch inputs, each by its own idProperty, keyed by
// input position. Two inputs naming one record are refused.
func findInputs(ctx context.Context, tx store.Tx, ot *ObjectType, set propertySet, inputs []Input) (map[int]store.Record, error) {
	byProp := map[string][]string{}
	for _, in := range inputs {
		if in.ID == "" {
			return nil, invalid(CodeMissingInput, "Every input needs an id")
		}
		byProp[in.IDProperty] = append(byProp[in.IDProperty], in.ID)
	}
	resolved := map[string]map[string]store.Record{}
	for prop, ids := range byProp {
		f, err := find(ctx, tx, ot, set, ids, prop, false)
		if err != nil {
			return nil, err
		}
		resolved[prop] = f
	}
	out := make(map[int]store.Record, len(inputs))
	seen := map[int64]string{}
	for i, in := range inputs {
		r, ok := resolved[in.IDProperty][in.ID]
		if !ok {
			continue
		}
		if prev, dup := seen[r.ID]; dup {
			return nil, invalid(CodeDuplicateInput, "Duplicate IDs found in batch input: %s and %s name record %d", prev, in.ID, r.ID).with("ids", prev, in.ID)
		}
		seen[r.ID] = in.ID
		out[i] = r
	}
	return out, nil
}

package crm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hubsync/hubsync/internal/store"
)

// CodeReadOnlyDefinition refuses a change to a property HubSpot defines.
const CodeReadOnlyDefinition = "READ_ONLY_DEFINITION"

// PropertyUpdate names the parts of a property definition to change; nil
// keeps a part as it is. The name and whether values are unique never
// change.
type PropertyUpdate struct {
	Label, Type, FieldType, GroupName, Description *string
	Options                                        *[]store.Option
	DisplayOrder                                   *int
}

// UpdateProperty changes a custom property's definition, as HubSpot's PATCH
// does. Its type may change only while no record holds a value for it, so
// no stored value is left that the new type would refuse.
func (s *Service) UpdateProperty(ctx context.Context, objectType, name string, u PropertyUpdate) (Property, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return Property{}, err
	}
	var p store.Property
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cur, archived, err := s.custom(ctx, tx, ot, name, "changed")
		if err != nil {
			return err
		}
		if archived {
			return propertyNotFound("Property "+name+" of "+ot.Name+" is archived; create it again to restore it, then change it", name)
		}
		p = u.apply(cur)
		if err := checkDefinition(p); err != nil {
			return err
		}
		if p.Type != cur.Type {
			if err := noValues(ctx, tx, ot, cur); err != nil {
				return err
			}
		}
		p.UpdatedAt = s.now().UTC()
		return tx.UpdateProperty(ctx, p)
	})
	return Property{Property: p}, err
}

func (u PropertyUpdate) apply(p store.Property) store.Property {
	for _, f := range []struct{ to, from *string }{
		{&p.Label, u.Label}, {&p.Type, u.Type}, {&p.FieldType, u.FieldType}, {&p.GroupName, u.GroupName}, {&p.Description, u.Description},
	} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if u.Options != nil {
		p.Options = *u.Options
	}
	if u.DisplayOrder != nil {
		p.DisplayOrder = *u.DisplayOrder
	}
	return p
}

// ArchiveProperties archives custom properties, as HubSpot's DELETE and
// batch archive do: an archived property disappears from property lists,
// reads, writes and searches, and its records keep their values until it
// is restored. Archiving an archived property does nothing; with strict, a
// name that does not exist is an error, otherwise it is skipped.
func (s *Service) ArchiveProperties(ctx context.Context, objectType string, names []string, strict bool) error {
	ot, err := LookupType(objectType)
	if err != nil {
		return err
	}
	if len(names) > MaxBatch {
		return invalid(CodeTooManyInputs, "A batch takes at most %d inputs; this one has %d", MaxBatch, len(names))
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		for _, name := range names {
			p, archived, err := s.custom(ctx, tx, ot, name, "archived")
			if archived || (isNotFound(err) && !strict) {
				continue
			}
			if err != nil {
				return err
			}
			p.Archived, p.ArchivedAt, p.UpdatedAt = true, now, now
			if err := tx.UpdateProperty(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// custom finds a custom property that a caller wants to change, and says
// whether it is archived; what may not change is an error that says why.
func (s *Service) custom(ctx context.Context, tx store.Tx, ot *ObjectType, name, verb string) (store.Property, bool, error) {
	set, archived, err := s.readSet(ctx, tx, ot)
	if err != nil {
		return store.Property{}, false, err
	}
	if p, ok := named(archived, name); ok {
		return p, true, nil
	}
	p, err := set.get(ot, name)
	switch {
	case err != nil:
		return store.Property{}, false, err
	case p.HubSpotDefined:
		return store.Property{}, false, invalid(CodeReadOnlyDefinition, "%s is defined by HubSpot and cannot be %s", name, verb).
			with("propertyName", name)
	}
	return p.Property, false, nil
}

func isNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindNotFound
}

// noValues refuses a type change of a property that records hold values of.
func noValues(ctx context.Context, tx store.Tx, ot *ObjectType, p store.Property) error {
	has := [][]store.Cond{{{Field: store.Field{Name: p.Name, Kind: store.KindText}, Op: store.OpHasProperty}}}
	for _, archived := range []bool{false, true} {
		_, n, err := tx.SearchRecords(ctx, store.Query{ObjectType: ot.Name, Archived: archived, Groups: has, Limit: 1})
		if err != nil {
			return err
		}
		if n > 0 {
			return (&Error{Kind: KindConflict, Code: CodeInvalidProperty, Message: fmt.Sprintf(
				"%s cannot change from type %s while %s records hold values of it; clear them first, or create a new property",
				p.Name, p.Type, ot.Name)}).with("propertyName", p.Name)
		}
	}
	return nil
}

// restored is an archived property brought back by a create with its name:
// the new definition, if it keeps the type and the uniqueness the stored
// values were checked against.
func restored(ot *ObjectType, old, p store.Property) (store.Property, error) {
	if p.Type != old.Type || p.HasUniqueValue != old.HasUniqueValue {
		return p, (&Error{Kind: KindConflict, Code: CodePropertyExists, Message: fmt.Sprintf(
			"An archived property named '%s' (type %s, unique values %v) exists on %s; creating it again restores it with its values, "+
				"so give the same type and uniqueness, or choose another name", p.Name, old.Type, old.HasUniqueValue, ot.Name)}).
			with("name", p.Name)
	}
	p.CreatedAt = old.CreatedAt
	return p, nil
}

// hideArchived drops the values of archived properties from records read
// for a caller, leaving the stored records as they are.
func hideArchived(recs []store.Record, archived []store.Property) {
	if len(archived) == 0 {
		return
	}
	for i, r := range recs {
		if slices.ContainsFunc(archived, func(p store.Property) bool { _, ok := r.Props[p.Name]; return ok }) {
			recs[i].Props = maps.Clone(r.Props)
			for _, p := range archived {
				delete(recs[i].Props, p.Name)
			}
		}
	}
}

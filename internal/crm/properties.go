package crm

import (
	"context"
	"errors"
	"regexp"
	"slices"

	"github.com/hubsync/hubsync/internal/store"
)

// Property is a property definition as clients see it.
type Property struct {
	store.Property
	HubSpotDefined bool
	// ReadOnlyValue properties are kept by the hub.
	ReadOnlyValue bool
}

var (
	propertyName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)
	types        = []string{"string", "number", "bool", "date", "datetime", "enumeration", "phone_number"}
	fieldTypes   = map[string][]string{
		"string":       {"text", "textarea", "html", "phonenumber", "file"},
		"phone_number": {"phonenumber", "text"},
		"number":       {"number", "calculation_equation"},
		"bool":         {"booleancheckbox"},
		"date":         {"date"},
		"datetime":     {"date"},
		"enumeration":  {"select", "radio", "checkbox", "booleancheckbox"},
	}
)

// propertySet is every live property of one object type by name. An
// archived property is not in it: it cannot be written, searched or read.
type propertySet map[string]Property

func (s *Service) propertySet(ctx context.Context, tx store.Tx, ot *ObjectType) (propertySet, error) {
	set, _, err := s.readSet(ctx, tx, ot)
	return set, err
}

// readSet is propertySet with the archived custom properties, whose values
// reads hide, from one read of the definitions.
func (s *Service) readSet(ctx context.Context, tx store.Tx, ot *ObjectType) (propertySet, []store.Property, error) {
	custom, err := tx.Properties(ctx, ot.Name)
	if err != nil {
		return nil, nil, err
	}
	var archived []store.Property
	for _, p := range custom {
		if p.Archived {
			archived = append(archived, p)
		}
	}
	return newPropertySet(ot, custom), archived, nil
}

// get returns the live property name, or says it does not exist.
func (set propertySet) get(ot *ObjectType, name string) (Property, error) {
	if p, ok := set[name]; ok {
		return p, nil
	}
	return Property{}, propertyNotFound("Property "+name+" does not exist on "+ot.Name, name)
}

// named finds the property called name among ps.
func named(ps []store.Property, name string) (store.Property, bool) {
	if i := slices.IndexFunc(ps, func(p store.Property) bool { return p.Name == name }); i >= 0 {
		return ps[i], true
	}
	return store.Property{}, false
}

func newPropertySet(ot *ObjectType, custom []store.Property) propertySet {
	set := make(propertySet, len(ot.Builtin)+len(custom)+1)
	for _, p := range ot.Builtin {
		p.ObjectType = ot.Name
		p.HasUniqueValue = slices.Contains(ot.Unique, p.Name)
		set[p.Name] = Property{Property: p, HubSpotDefined: true, ReadOnlyValue: isDerived(p.Name)}
	}
	for _, p := range custom {
		if !p.Archived {
			set[p.Name] = Property{Property: p}
		}
	}
	// Both spellings of last-modified work on every type, as clients use both.
	for _, alias := range []string{PropLastModified, PropHSLastModified} {
		if _, ok := set[alias]; !ok {
			p := set[ot.ModifiedProp]
			p.Name = alias
			set[alias] = p
		}
	}
	return set
}

// Properties lists an object type's live properties, HubSpot's first, or
// with archived its archived ones only, as on HubSpot.
func (s *Service) Properties(ctx context.Context, objectType string, archived bool) ([]Property, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return nil, err
	}
	var out []Property
	err = s.store.View(ctx, func(tx store.Tx) error {
		custom, err := tx.Properties(ctx, ot.Name)
		if err != nil {
			return err
		}
		set := newPropertySet(ot, custom)
		for _, p := range ot.Builtin {
			if !archived {
				out = append(out, set[p.Name])
			}
		}
		for _, p := range custom {
			if p.Archived == archived {
				out = append(out, Property{Property: p})
			}
		}
		return nil
	})
	return out, err
}

// Property returns one live property definition, or with archived one
// that is archived.
func (s *Service) Property(ctx context.Context, objectType, name string, archived bool) (Property, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return Property{}, err
	}
	var p Property
	err = s.store.View(ctx, func(tx store.Tx) (err error) {
		p, err = s.property(ctx, tx, ot, name, archived)
		return err
	})
	return p, err
}

// property finds a property that is live, or archived when archived says so.
func (s *Service) property(ctx context.Context, tx store.Tx, ot *ObjectType, name string, archived bool) (Property, error) {
	set, gone, err := s.readSet(ctx, tx, ot)
	switch {
	case err != nil:
		return Property{}, err
	case !archived:
		return set.get(ot, name)
	}
	if p, ok := named(gone, name); ok {
		return Property{Property: p}, nil
	}
	return Property{}, propertyNotFound("No archived property "+name+" exists on "+ot.Name, name)
}

func propertyNotFound(message, name string) *Error {
	return (&Error{Kind: KindNotFound, Code: CodePropertyDoesntExist, Message: message}).with("propertyName", name)
}

// CreateProperty adds a custom property. A property with a unique value gets
// an index that enforces it; creating one over duplicate values fails.
// Creating a property with the name of an archived one restores it, with
// the values its records kept, under the definition given.
func (s *Service) CreateProperty(ctx context.Context, objectType string, p store.Property) (Property, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return Property{}, err
	}
	if err := checkDefinition(p); err != nil {
		return Property{}, err
	}
	now := s.now().UTC()
	p.ObjectType, p.CreatedAt, p.UpdatedAt = ot.Name, now, now
	err = s.store.Update(ctx, func(tx store.Tx) error {
		set, archived, err := s.readSet(ctx, tx, ot)
		if err != nil {
			return err
		}
		if old, ok := named(archived, p.Name); ok {
			if p, err = restored(ot, old, p); err != nil {
				return err
			}
			return tx.UpdateProperty(ctx, p)
		}
		if _, ok := set[p.Name]; ok {
			return propertyExists(ot, p.Name)
		}
		if err := tx.CreateProperty(ctx, p); errors.Is(err, store.ErrAlreadyExists) {
			return propertyExists(ot, p.Name)
		} else if err != nil {
			return err
		}
		if !p.HasUniqueValue {
			return nil
		}
		err = tx.EnsureIndex(ctx, ot.Name, p.Name, true)
		if errors.Is(err, store.ErrAlreadyExists) {
			return &Error{Kind: KindConflict, Code: CodeObjectExists,
				Message: "Existing records share values of " + p.Name + ", so it cannot require unique values"}
		}
		return err
	})
	return Property{Property: p}, err
}

func propertyExists(ot *ObjectType, name string) *Error {
	return (&Error{Kind: KindConflict, Code: CodePropertyExists,
		Message: "A property named '" + name + "' already exists on " + ot.Name}).with("name", name)
}

func checkDefinition(p store.Property) *Error {
	bad := func(format string, args ...any) *Error {
		return invalid(CodeInvalidProperty, format, args...).with("name", p.Name)
	}
	switch {
	case !propertyName.MatchString(p.Name):
		return bad("Property name %q must start with a lowercase letter and hold only lowercase letters, digits and underscores (at most 100)", p.Name)
	case p.Label == "":
		return bad("Property %s needs a label", p.Name)
	case p.GroupName == "":
		return bad("Property %s needs a groupName", p.Name)
	case !slices.Contains(types, p.Type):
		return bad("Property type %q is not one of %v", p.Type, types)
	case !slices.Contains(fieldTypes[p.Type], p.FieldType):
		return bad("fieldType %q does not go with type %s; use one of %v", p.FieldType, p.Type, fieldTypes[p.Type])
	case p.Type == "enumeration" && len(p.Options) == 0:
		return bad("Enumeration property %s needs options", p.Name)
	}
	seen := map[string]bool{}
	for _, o := range p.Options {
		if o.Value == "" || seen[o.Value] {
			return bad("Option values of %s must be non-empty and distinct; %q is not", p.Name, o.Value)
		}
		seen[o.Value] = true
	}
	return nil
}

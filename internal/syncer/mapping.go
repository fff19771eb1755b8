package syncer

import (
	"fmt"
	"slices"

	"github.com/hubsync/hubsync/internal/store"
)

// defaultFields are the hub properties each object syncs by default, with
// their types; a HubSpot-compatible app has the same names.
var defaultFields = map[string][]store.FieldMapping{
	"contacts": {
		{Hub: "email", Type: TypeText}, {Hub: "firstname", Type: TypeText}, {Hub: "lastname", Type: TypeText},
		{Hub: "phone", Type: TypeText}, {Hub: "company", Type: TypeText}, {Hub: "jobtitle", Type: TypeText},
		{Hub: "lifecyclestage", Type: TypeEnumeration}, {Hub: "city", Type: TypeText}, {Hub: "country", Type: TypeText},
	},
	"companies": {
		{Hub: "name", Type: TypeText}, {Hub: "domain", Type: TypeText}, {Hub: "industry", Type: TypeText},
		{Hub: "phone", Type: TypeText}, {Hub: "city", Type: TypeText}, {Hub: "country", Type: TypeText},
		{Hub: "numberofemployees", Type: TypeNumber},
	},
	"deals": {
		{Hub: "dealname", Type: TypeText}, {Hub: "amount", Type: TypeNumber}, {Hub: "dealstage", Type: TypeEnumeration},
		{Hub: "pipeline", Type: TypeEnumeration}, {Hub: "closedate", Type: TypeDateTime},
	},
}

// DefaultMappings returns the default field mappings of a hub object: each
// property to the external field of the same name.
func DefaultMappings(object string) []store.FieldMapping {
	out := slices.Clone(defaultFields[object])
	for i := range out {
		out[i].App = out[i].Hub
	}
	return out
}

// DefaultMatchKey is the hub property that pairs records on first contact.
func DefaultMatchKey(object string) string {
	switch object {
	case "contacts":
		return "email"
	case "companies":
		return "domain"
	}
	return ""
}

// flows reports whether a field with direction dir (or the sync's when dir
// is empty) moves data toward side.
func flows(syncDir, fieldDir, toward string) bool {
	dir := fieldDir
	if dir == "" {
		dir = syncDir
	}
	switch dir {
	case store.DirectionTwoWay:
		return true
	case store.DirectionToHub:
		return toward == store.SideHub
	case store.DirectionToApp:
		return toward == store.SideApp
	}
	return false
}

// checkMappings refuses mappings that cannot work.
func checkMappings(syncDir string, ms []store.FieldMapping) error {
	if len(ms) == 0 {
		return fmt.Errorf("an object sync needs at least one field mapping")
	}
	seenHub, seenApp := map[string]bool{}, map[string]bool{}
	for _, m := range ms {
		if m.Hub == "" || m.App == "" {
			return fmt.Errorf("a field mapping needs both a hub property and an external field")
		}
		if seenHub[m.Hub] || seenApp[m.App] {
			return fmt.Errorf("field %s / %s is mapped twice", m.Hub, m.App)
		}
		seenHub[m.Hub], seenApp[m.App] = true, true
		switch m.Type {
		case "", TypeText, TypeNumber, TypeDate, TypeDateTime, TypeBoolean, TypeEnumeration:
		default:
			return fmt.Errorf("field %s: unknown type %q", m.Hub, m.Type)
		}
		if m.Direction != "" && !slices.Contains([]string{store.DirectionTwoWay, store.DirectionToHub, store.DirectionToApp}, m.Direction) {
			return fmt.Errorf("field %s: unknown direction %q", m.Hub, m.Direction)
		}
		if syncDir != store.DirectionTwoWay && m.Direction != "" && m.Direction != syncDir {
			return fmt.Errorf("field %s flows %s but the sync flows %s", m.Hub, m.Direction, syncDir)
		}
	}
	return nil
}

// hubView is a hub record's mapped values, by hub property, normalised.
func hubView(ms []store.FieldMapping, props map[string]string) map[string]string {
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		if v := normalize(m.Type, props[m.Hub]); v != "" {
			out[m.Hub] = v
		}
	}
	return out
}

// appView is an external record's mapped values, by hub property,
// normalised, so both sides compare in one vocabulary.
func appView(ms []store.FieldMapping, props map[string]string) map[string]string {
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		if v := normalize(m.Type, props[m.App]); v != "" {
			out[m.Hub] = v
		}
	}
	return out
}

// toApp renames hub-property values to external fields.
func toApp(ms []store.FieldMapping, values map[string]string) map[string]string {
	out := make(map[string]string, len(values))
	for _, m := range ms {
		if v, ok := values[m.Hub]; ok {
			out[m.App] = v
		}
	}
	return out
}

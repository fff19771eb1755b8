package api

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// schemaBuilder writes JSON schemas of the Go types the API answers with,
// read from their fields and json tags, so the document says what the
// handlers send rather than what someone remembered. Named struct types
// become components, referred to by name.
type schemaBuilder struct {
	components map[string]any
	// input builds request bodies: the API takes fields it does not know
	// and leaves out fields it is not sent, so objects are open, nothing is
	// required, and structs are written in place (an answer's component is
	// closed, which a request's must not be).
	input bool
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// of is the schema of values of t.
func (b *schemaBuilder) of(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return dateTime()
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType),
		t.Implements(textType) || reflect.PointerTo(t).Implements(textType):
		// Its own encoding: the fields say nothing of it.
		return anyValue()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return orNull(b.of(t.Elem()))
	case reflect.Interface:
		return anyValue()
	case reflect.String:
		return str()
	case reflect.Bool:
		return boolean()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return integer()
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return str() // base64
		}
		return map[string]any{"type": "array", "items": b.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": b.of(t.Elem())}
	case reflect.Struct:
		if b.input || t.Name() == "" || strings.Contains(t.Name(), "[") {
			return b.object(t) // a request's, anonymous or generic: written in place
		}
		name := componentName(t.Name())
		if _, ok := b.components[name]; !ok {
			b.components[name] = map[string]any{} // a placeholder, so a type that holds itself ends
			b.components[name] = b.object(t)
		}
		return ref(name)
	}
	return anyValue()
}

// anyValue is any JSON value, null included, in 3.1's type list.
func anyValue() map[string]any {
	return map[string]any{"type": []string{"string", "number", "boolean", "object", "array", "null"}}
}

// orNull is s or null (a nil pointer): OpenAPI 3.1 lists "null" among the
// types, where 3.0 had nullable.
func orNull(s map[string]any) map[string]any {
	switch t := s["type"].(type) {
	case string:
		out := map[string]any{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = []string{t, "null"}
		return out
	case []string:
		return s // anyValue already
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// object is a struct's schema: its fields by their json names, those not
// omitted when empty required, and no others allowed.
func (b *schemaBuilder) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	b.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if b.input {
		delete(s, "additionalProperties")
		return s
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (b *schemaBuilder) fields(t reflect.Type, props map[string]any, required *[]string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				b.fields(ft, props, required)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = b.of(f.Type)
		omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if !omit && f.Type.Kind() != reflect.Pointer && f.Type.Kind() != reflect.Interface {
			*required = append(*required, name)
		}
	}
}

// componentName is a Go type's name as the document shows it: exported,
// without the JSON suffix the wire types carry (recordJSON is Record).
func componentName(goName string) string {
	n := strings.TrimSuffix(goName, "JSON")
	return strings.ToUpper(n[:1]) + n[1:]
}

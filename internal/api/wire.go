package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/jsontext"
	"github.com/hubsync/hubsync/internal/store"
)

// recordJSON is a record on the wire.
type recordJSON struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt,omitempty"`
	New        *bool              `json:"new,omitempty"`
	// PropertiesWithHistory holds what propertiesWithHistory asked for.
	PropertiesWithHistory map[string][]versionJSON `json:"propertiesWithHistory,omitempty"`
}

// jsonAppender is an answer that writes its own JSON, byte for byte as
// encoding/json writes it, without reflection: the answers that hold
// records (a batch holds a hundred), where reflecting over each record's
// properties map, sorting its keys through interfaces, was a tenth of a
// batch create. It is not a json.Marshaler, whose output encoding/json
// would scan again, and whose fields the OpenAPI schema could not see.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

func (r recordJSON) appendJSON(b []byte) []byte {
	return r.appendJSONKeys(b, sortedKeys(r.Properties))
}

// appendJSONKeys is appendJSON given the property names in order.
func (r recordJSON) appendJSONKeys(b []byte, keys []string) []byte {
	if len(r.PropertiesWithHistory) > 0 {
		m, _ := json.Marshal(r) // strings and maps of them always marshal
		return append(b, m...)
	}
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, r.ID)
	b = append(b, `,"properties":`...)
	b = appendProperties(b, r.Properties, keys)
	b = append(b, `,"createdAt":`...)
	b = jsontext.AppendString(b, r.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = jsontext.AppendString(b, r.UpdatedAt)
	b = append(b, `,"archived":`...)
	b = strconv.AppendBool(b, r.Archived)
	if r.ArchivedAt != "" {
		b = append(b, `,"archivedAt":`...)
		b = jsontext.AppendString(b, r.ArchivedAt)
	}
	if r.New != nil {
		b = append(b, `,"new":`...)
		b = strconv.AppendBool(b, *r.New)
	}
	return append(b, '}')
}

// appendRecords appends a list of records; nil is null, as encoding/json
// writes a nil slice.
func appendRecords(b []byte, recs []recordJSON) []byte {
	if recs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	// The records of one answer nearly always have the same property
	// names, so they are sorted once, not once per record.
	var keys []string
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		if !sameKeys(keys, r.Properties) {
			keys = sortedKeys(r.Properties)
		}
		b = r.appendJSONKeys(b, keys)
	}
	return append(b, ']')
}

// storedRecords is a list of records that an answer writes straight from
// the store's records, as appendRecords writes toJSONs of them: a batch
// create answers with a hundred records, and building a properties map for
// each, to sort and write it, was a sixth of the hub's time.
type storedRecords struct {
	ot    *crm.ObjectType
	recs  []store.Record
	names []string // sorted, each once: crm.Selected of what was asked
}

func newStoredRecords(ot *crm.ObjectType, recs []store.Record, props []string) *storedRecords {
	names := slices.Clone(crm.Selected(ot, props))
	slices.Sort(names)
	return &storedRecords{ot: ot, recs: recs, names: slices.Compact(names)}
}

func (a *storedRecords) appendJSON(b []byte) []byte {
	b = append(b, '[')
	var times timeText
	for i, r := range a.recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"`...)
		b = strconv.AppendInt(b, r.ID, 10)
		b = append(b, `","properties":{`...)
		for j, n := range a.names {
			if j > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, n)
			b = append(b, ':')
			if v, ok := crm.Value(r, n); ok {
				b = jsontext.AppendString(b, v)
			} else {
				b = append(b, "null"...)
			}
		}
		b = append(b, `},"createdAt":`...)
		b = jsontext.AppendString(b, times.format(r.CreatedAt))
		b = append(b, `,"updatedAt":`...)
		b = jsontext.AppendString(b, times.format(r.UpdatedAt))
		b = append(b, `,"archived":`...)
		b = strconv.AppendBool(b, r.Archived)
		if r.Archived {
			b = append(b, `,"archivedAt":`...)
			b = jsontext.AppendString(b, crm.FormatTime(r.ArchivedAt))
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// timeText formats times, remembering the last: the records of one batch
// share their dates.
type timeText struct {
	t    time.Time
	text string
}

func (c *timeText) format(t time.Time) string {
	if c.text == "" || !t.Equal(c.t) {
		c.t, c.text = t, crm.FormatTime(t)
	}
	return c.text
}

// appendPaging appends `,"paging":…` unless p is nil (omitempty).
func appendPaging(b []byte, p *pagingJSON) []byte {
	if p == nil {
		return b
	}
	m, _ := json.Marshal(p) // strings always marshal
	b = append(b, `,"paging":`...)
	return append(b, m...)
}

func (a listJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"results":`...)
	b = appendRecords(b, a.Results)
	b = appendPaging(b, a.Paging)
	return append(b, '}')
}

func (a searchResultJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(a.Total), 10)
	b = append(b, `,"results":`...)
	b = appendRecords(b, a.Results)
	b = appendPaging(b, a.Paging)
	return append(b, '}')
}

func (a batchJSON) appendJSON(b []byte) []byte {
	if a.NumErrors != 0 || len(a.Errors) > 0 {
		m, _ := json.Marshal(a) // a partial failure, the rare case
		return append(b, m...)
	}
	b = append(b, `{"status":`...)
	b = jsontext.AppendString(b, a.Status)
	b = append(b, `,"results":`...)
	if a.stored != nil {
		b = a.stored.appendJSON(b)
	} else {
		b = appendRecords(b, a.Results)
	}
	b = append(b, `,"startedAt":`...)
	b = jsontext.AppendString(b, a.StartedAt)
	b = append(b, `,"completedAt":`...)
	b = jsontext.AppendString(b, a.CompletedAt)
	return append(b, '}')
}

// appendProperties appends a properties object, keys sorted and absent
// values null, as encoding/json does; keys are props' names, sorted.
func appendProperties(b []byte, props map[string]*string, keys []string) []byte {
	if props == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsontext.AppendString(b, k)
		b = append(b, ':')
		if v := props[k]; v != nil {
			b = jsontext.AppendString(b, *v)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// sortedKeys is slices.Sorted(maps.Keys(m)) with one allocation instead of
// a growing slice: it runs for every record an answer holds.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sameKeys reports whether keys are exactly the names in m: as many, and
// each of them in m (keys never repeats a name).
func sameKeys[V any](keys []string, m map[string]V) bool {
	if keys == nil || len(keys) != len(m) {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func toJSON(ot *crm.ObjectType, r store.Record, props []string) recordJSON {
	out := recordJSON{
		ID:         strconv.FormatInt(r.ID, 10),
		Properties: crm.Select(ot, r, props),
		CreatedAt:  crm.FormatTime(r.CreatedAt),
		UpdatedAt:  crm.FormatTime(r.UpdatedAt),
		Archived:   r.Archived,
	}
	if r.Archived {
		out.ArchivedAt = crm.FormatTime(r.ArchivedAt)
	}
	return out
}

func toJSONs(ot *crm.ObjectType, recs []store.Record, props []string) []recordJSON {
	out := make([]recordJSON, len(recs))
	for i, r := range recs {
		out[i] = toJSON(ot, r, props)
	}
	return out
}

// decode reads a JSON object body into v, answering bad JSON and oversized
// bodies with errors that say what was wrong.
func decode(r *http.Request, v any) error { return decodeBody(r, v, false) }

// decodeOptional is decode for requests whose body may be empty.
func decodeOptional(r *http.Request, v any) error { return decodeBody(r, v, true) }

func decodeBody(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(r, err, "The request body cannot be read")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 && optional {
		return nil
	}
	if len(body) == 0 {
		return badRequest("MALFORMED_JSON", "The request needs a JSON body")
	}
	if body[0] != '{' {
		return badRequest("MALFORMED_JSON", "The request body must be a JSON object")
	}
	if name := nulField(body); name != "" {
		return nulError(r, "JSON field", name)
	}
	if f, ok := v.(fastDecoder); ok && f.decodeFast(body) {
		return nil
	}
	err = json.Unmarshal(body, v)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var ae *apiError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &syntax):
		return badRequest("MALFORMED_JSON", fmt.Sprintf("Invalid input JSON at byte %d: %v", syntax.Offset, err))
	case errors.As(err, &typ):
		return badRequest("MALFORMED_JSON", fmt.Sprintf("Invalid input JSON: %s must be %s, not %s", typ.Field, typ.Type, typ.Value))
	}
	return badRequest("MALFORMED_JSON", "Invalid input JSON: "+err.Error())
}

// checkInputs refuses a batch body whose inputs are missing or null, or
// hold a null entry, or (when props is given) an entry without a properties
// object: each would otherwise be read as nothing to do, or an empty record.
func checkInputs[T any](inputs []*T, props func(*T) values) error {
	if inputs == nil {
		return badRequest(crm.CodeMissingInput, `The body needs an inputs list: {"inputs":[…]}`)
	}
	for i, in := range inputs {
		where := fmt.Sprintf("inputs[%d]", i)
		if in == nil {
			return badRequest("MALFORMED_JSON", where+" is null; every input must be an object")
		}
		if props != nil {
			if err := needProperties(props(in), where, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// needProperties refuses a record body without a properties object (an
// empty one is fine). inputs is the body's inputs field, if it has one: a
// batch body sent to a single-record route.
func needProperties(p values, where string, inputs json.RawMessage) error {
	if p != nil {
		return nil
	}
	msg := where + ` needs a properties object: {"properties":{…}}`
	if inputs != nil {
		msg += "; a body with inputs goes to a batch route (…/batch/create, …/batch/update)"
	}
	return badRequest(codeMissingProperties, msg)
}

// codeMissingProperties is a record body without properties.
const codeMissingProperties = "MISSING_PROPERTIES"

// values are property values as clients send them: strings, but numbers,
// booleans and null are accepted and turned into HubSpot's string form.
type values map[string]string

func (v *values) UnmarshalJSON(data []byte) error {
	// Nearly every client sends strings only: decode those in one pass.
	var strs map[string]string
	if json.Unmarshal(data, &strs) == nil {
		*v = strs
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := make(values, len(raw))
	var bad []string
	for k, m := range raw {
		s, ok := scalar(m)
		if !ok {
			bad = append(bad, k)
			continue
		}
		out[k] = s
	}
	if len(bad) > 0 {
		e := badRequest(crm.CodeInvalidValue, "Property values must be strings, numbers or booleans; not so for "+strings.Join(bad, ", "))
		e.context = map[string][]string{"propertyName": bad}
		return e
	}
	*v = out
	return nil
}

// scalar turns a JSON string, number, boolean or null into a property value.
func scalar(m json.RawMessage) (string, bool) {
	s := strings.TrimSpace(string(m))
	switch {
	case s == "null":
		return "", true
	case s == "true" || s == "false":
		return s, true
	case strings.HasPrefix(s, `"`):
		var out string
		err := json.Unmarshal(m, &out)
		return out, err == nil
	}
	var n json.Number
	if err := json.Unmarshal(m, &n); err != nil {
		return "", false
	}
	return n.String(), true
}

// propertyList reads properties=a,b (or repeated) from the query string.
func propertyList(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("INVALID_PARAMETER", fmt.Sprintf("%s must be true or false, not %q", name, v))
	}
	return b, nil
}

func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest(crm.CodeInvalidLimit, fmt.Sprintf("%s must be a number, not %q", name, v))
	}
	return n, nil
}

package hubspot

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
)

// Reasons of WriteResult.Err. Both are definite: the external side answered
// about that record, and sending it again unchanged gets the same answer.
const (
	// ReasonRecordRejected is a record the external side refused: an
	// invalid value, a unique value another record holds, …; the message
	// quotes what it said.
	ReasonRecordRejected = connector.ReasonRecordRejected
	// ReasonRecordNotFound is an update of a record that does not exist
	// (any more) on the external side.
	ReasonRecordNotFound = "record_not_found"
	// ReasonOutcomeUnknown is a write the external side answered for
	// without saying what became of it; it is transient.
	ReasonOutcomeUnknown = "write_outcome_unknown"
)

// maxIsolationCalls bounds the extra calls one Apply makes to find which
// records of a refused batch are at fault.
const maxIsolationCalls = 24

// MaxBatch is HubSpot's most inputs per batch call.
func (c *Connector) MaxBatch() int { return maxBatchInputs }

type writeKind int

const (
	kindArchive writeKind = iota
	kindUpdate
	kindUpsert
	kindCreate
)

func (k writeKind) path() string {
	return [...]string{"/batch/archive", "/batch/update", "/batch/upsert", "/batch/create"}[k]
}

func (k writeKind) String() string {
	return [...]string{"archive", "update", "upsert", "create"}[k]
}

// Apply makes writes with one batch call per kind, 100 writes each: archives
// (batch/archive), then updates (batch/update), then creates. Creates are
// last so that a call failing whole leaves only creates undone.
//
// A create with an IdempotencyKey goes through batch/upsert with
// idProperty OriginProperty holding the key, so a replay after a crash
// updates the record the first attempt made. The property is made on first
// use (it needs the crm.schemas.<object>.write scope); where the external
// side refuses it, creates fall back to batch/create and a replay can
// duplicate a record.
//
// Per-record outcomes: every input carries an objectWriteTraceId, and a
// 207's results and errors are matched back to writes by it, by record id
// (updates), by the origin value (upserts), by an input index in the
// message, and, for results that say nothing, by order. A batch refused
// whole (400, 409: HubSpot and hubsync check a batch all or nothing) is
// split: the records the errors name (by id, or by quoting one write's
// value of the property at fault) get the error and the rest is sent
// again, else the batch is halved, until each refusal sits on its record.
// A failure of a whole call (401, 403, 429, 5xx, no answer) is Apply's
// error, and writes already made stay made: a replay is safe.
func (c *Connector) Apply(ctx context.Context, t connector.Target, cred connector.Credential, object string, writes []connector.Write) ([]connector.WriteResult, error) {
	res, err := c.apply(ctx, t, cred, object, writes)
	return res, redact(err, secrets(cred)...)
}

// applier is one Apply in progress.
type applier struct {
	s       *session
	writes  []connector.Write
	results []connector.WriteResult
	budget  int // isolation calls left
}

func (c *Connector) apply(ctx context.Context, t connector.Target, cred connector.Credential, object string, writes []connector.Write) ([]connector.WriteResult, error) {
	s, err := c.session(t, cred, object)
	if err != nil {
		return nil, err
	}
	ap := &applier{s: s, writes: writes, results: make([]connector.WriteResult, len(writes)), budget: maxIsolationCalls}
	groups := map[writeKind][]int{}
	for i, w := range writes {
		ap.results[i].Ref = w.Ref
		switch {
		case w.Archive && w.ID == "":
			ap.results[i].Err = connector.Definite(ReasonRecordRejected, "a write that archives needs the id of the record")
		case w.Archive:
			groups[kindArchive] = append(groups[kindArchive], i)
		case w.ID != "":
			groups[kindUpdate] = append(groups[kindUpdate], i)
		case w.IdempotencyKey != "":
			groups[kindUpsert] = append(groups[kindUpsert], i)
		default:
			groups[kindCreate] = append(groups[kindCreate], i)
		}
	}
	if len(groups[kindUpsert]) > 0 {
		ready, err := c.ensureOrigin(ctx, s)
		if err != nil {
			return nil, err
		}
		if !ready {
			groups[kindCreate] = append(groups[kindCreate], groups[kindUpsert]...)
			slices.Sort(groups[kindCreate])
			delete(groups, kindUpsert)
		}
	}
	for _, k := range []writeKind{kindArchive, kindUpdate, kindUpsert, kindCreate} {
		for chunk := range slices.Chunk(groups[k], maxBatchInputs) {
			if err := ap.run(ctx, k, chunk); err != nil {
				return nil, err
			}
		}
	}
	return ap.results, nil
}

// traceID names write i in the inputs, for the answer to name it back.
func traceID(i int) string { return "hubsync-" + strconv.Itoa(i) }

// traces maps the trace ids of writes idx back to them.
func traces(idx []int) map[string]int {
	byTrace := make(map[string]int, len(idx))
	for _, i := range idx {
		byTrace[traceID(i)] = i
	}
	return byTrace
}

type createInput struct {
	Properties   map[string]string `json:"properties"`
	Associations []any             `json:"associations"`
	TraceID      string            `json:"objectWriteTraceId,omitempty"`
}

type updateInput struct {
	ID         string            `json:"id"`
	IDProperty string            `json:"idProperty,omitempty"`
	Properties map[string]string `json:"properties"`
	TraceID    string            `json:"objectWriteTraceId,omitempty"`
}

func (ap *applier) body(k writeKind, idx []int) any {
	props := func(i int) map[string]string {
		p := maps.Clone(ap.writes[i].Props)
		if p == nil {
			p = map[string]string{}
		}
		return p
	}
	switch k {
	case kindArchive:
		in := make([]idInput, len(idx))
		for j, i := range idx {
			in[j] = idInput{ID: ap.writes[i].ID}
		}
		return map[string]any{"inputs": in}
	case kindCreate:
		in := make([]createInput, len(idx))
		for j, i := range idx {
			in[j] = createInput{Properties: props(i), Associations: []any{}, TraceID: traceID(i)}
		}
		return map[string]any{"inputs": in}
	}
	in := make([]updateInput, len(idx))
	for j, i := range idx {
		w := ap.writes[i]
		in[j] = updateInput{ID: w.ID, Properties: props(i), TraceID: traceID(i)}
		if k == kindUpsert {
			// The key also goes in the properties, so that the answer
			// shows it and a result can be matched to its write.
			in[j].ID, in[j].IDProperty = w.IdempotencyKey, OriginProperty
			in[j].Properties[OriginProperty] = w.IdempotencyKey
		}
	}
	return map[string]any{"inputs": in}
}

// run makes one batch call of writes idx and settles their results.
func (ap *applier) run(ctx context.Context, k writeKind, idx []int) error {
	a, err := ap.s.call(ctx, http.MethodPost, ap.s.objects()+k.path(), ap.body(k, idx))
	if err != nil {
		return err
	}
	switch {
	case a.status >= 200 && a.status < 300:
		return ap.settle(k, idx, a)
	case a.isJSON && (a.status == http.StatusBadRequest || a.status == http.StatusConflict || a.status == http.StatusUnprocessableEntity),
		a.isJSON && a.status == http.StatusNotFound && k == kindUpdate && a.fields.Category == "OBJECT_NOT_FOUND":
		return ap.isolate(ctx, k, idx, a)
	}
	return ap.s.failure(a, "a batch "+k.String()+" of "+ap.s.object)
}

// wireError is an error body, or one entry of a 207's errors.
type wireError struct {
	Category    string                     `json:"category"`
	SubCategory string                     `json:"subCategory"`
	Code        string                     `json:"code"`
	Message     string                     `json:"message"`
	Context     map[string]json.RawMessage `json:"context"`
	Errors      []wireError                `json:"errors"`
}

// list is a context entry: a list of strings, or one string.
func (e wireError) list(key string) []string {
	raw, ok := e.Context[key]
	if !ok {
		return nil
	}
	var l []text
	if json.Unmarshal(raw, &l) != nil {
		var one text
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		l = []text{one}
	}
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = string(v)
	}
	return out
}

// refusal is the WriteResult.Err of a record e is about; status is the
// answer's HTTP status.
func (e wireError) refusal(status int, correlationID string) *connector.Error {
	reason := ReasonRecordRejected
	if e.Category == "OBJECT_NOT_FOUND" || e.SubCategory == "OBJECT_NOT_FOUND" || e.Code == "OBJECT_NOT_FOUND" {
		reason = ReasonRecordNotFound
	}
	said := shorten(strings.Join(strings.Fields(e.Message), " "))
	msg := "the external app refused the record"
	if said != "" {
		msg += "; it said: " + said
	}
	code := e.Category
	if code == "" {
		code = e.Code
	}
	return &connector.Error{Reason: reason, Definite: true, Message: msg, Detail: strings.Join(e.list("propertyName"), ", "),
		Err: &ResponseError{StatusCode: status, Code: code, CorrelationID: correlationID}}
}

// settle records the outcome of a call that succeeded, wholly or (207) in
// part.
func (ap *applier) settle(k writeKind, idx []int, a answer) error {
	if k == kindArchive {
		// HubSpot answers 204 and archives what exists; a record that is
		// already gone is as good as archived.
		for _, i := range idx {
			ap.results[i].ID = ap.writes[i].ID
		}
		return nil
	}
	var resp struct {
		Results []wireRecord `json:"results"`
		Errors  []wireError  `json:"errors"`
	}
	if err := ap.s.decode(a, "a batch "+k.String(), &resp); err != nil {
		return err
	}
	byTrace := traces(idx)
	done := map[int]bool{}
	var loose []wireRecord
	for _, r := range resp.Results {
		if i, ok := ap.owner(k, idx, r, byTrace, done); ok {
			ap.succeed(k, i, r)
			done[i] = true
		} else {
			loose = append(loose, r)
		}
	}
	var looseErrs []wireError
	for _, e := range resp.Errors {
		owners := ap.named(k, idx, e, byTrace)
		if len(owners) == 0 {
			looseErrs = append(looseErrs, e)
		}
		for _, i := range owners {
			if !done[i] {
				ap.results[i].Err = e.refusal(a.status, a.fields.CorrelationID)
				done[i] = true
			}
		}
	}
	var open []int
	for _, i := range idx {
		if !done[i] {
			open = append(open, i)
		}
	}
	switch {
	case len(open) == 0:
	case len(looseErrs) == 0 && len(loose) == len(open):
		// Results that name nothing come in input order.
		for j, i := range open {
			ap.succeed(k, i, loose[j])
		}
	case len(loose) == 0 && len(looseErrs) > 0:
		e := looseErrs[0]
		for _, more := range looseErrs[1:] {
			e.Message += "; " + more.Message
		}
		for _, i := range open {
			ap.results[i].Err = e.refusal(a.status, a.fields.CorrelationID)
		}
	default:
		for _, i := range open {
			ap.results[i].Err = &connector.Error{Reason: ReasonOutcomeUnknown,
				Message: "the external app did not say what became of this record; read it back before writing it again"}
		}
	}
	return nil
}

// owner finds the write a result answers.
func (ap *applier) owner(k writeKind, idx []int, r wireRecord, byTrace map[string]int, done map[int]bool) (int, bool) {
	if i, ok := byTrace[r.TraceID]; ok && !done[i] {
		return i, true
	}
	for _, i := range idx {
		w := ap.writes[i]
		switch {
		case done[i]:
		case k == kindUpdate && w.ID == string(r.ID):
			return i, true
		case k == kindUpsert && strings.EqualFold(w.IdempotencyKey, strings.TrimSpace(string(r.Properties[OriginProperty]))):
			return i, true
		}
	}
	return 0, false
}

func (ap *applier) succeed(k writeKind, i int, r wireRecord) {
	res := &ap.results[i]
	res.ID, res.Err = string(r.ID), nil
	if t, ok := parseWhen(r.UpdatedAt); ok {
		res.UpdatedAt = t
	} else if ts, ok := modified(r, modifiedProperty(ap.s.object)); ok {
		res.UpdatedAt = time.UnixMilli(ts).UTC()
	}
	switch k {
	case kindCreate:
		res.Created = true
	case kindUpsert:
		if r.New != nil {
			res.Created = *r.New
		} else {
			res.Created = r.CreatedAt != "" && r.CreatedAt == r.UpdatedAt
		}
	}
}

// inputIndex finds "inputs[3]", "input 3" or "input index 3" in a message.
var inputIndex = regexp.MustCompile(`(?i)\binputs?(?:\[(\d+)\]|\s+(?:index\s+|#)?(\d+)\b)`)

// named lists the writes an error names: by trace id, by record id or
// origin value in context.ids, or by its index in this call's inputs.
func (ap *applier) named(k writeKind, idx []int, e wireError, byTrace map[string]int) []int {
	var out []int
	add := func(i int) {
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	for _, tr := range e.list("objectWriteTraceId") {
		if i, ok := byTrace[tr]; ok {
			add(i)
		}
	}
	for _, id := range e.list("ids") {
		for _, i := range idx {
			w := ap.writes[i]
			if (k == kindUpdate && w.ID == id) || (k == kindUpsert && strings.EqualFold(w.IdempotencyKey, id)) {
				add(i)
			}
		}
	}
	if len(out) == 0 {
		for _, m := range inputIndex.FindAllStringSubmatch(e.Message, -1) {
			if n, err := strconv.Atoi(m[1] + m[2]); err == nil && n < len(idx) {
				add(idx[n])
			}
		}
	}
	return out
}

// isolate handles a batch refused whole: it finds the writes at fault,
// gives them the refusal and sends the rest again.
func (ap *applier) isolate(ctx context.Context, k writeKind, idx []int, a answer) error {
	var body wireError
	_ = json.Unmarshal(a.body, &body)
	if k == kindUpsert && mentionsOrigin(body) {
		// The origin property went away since it was checked.
		ap.s.schema().forgetOrigin()
		return &connector.Error{Reason: connector.ReasonAppConfig, Err: a.cause(),
			Message: "the " + OriginProperty + " property is missing on the external side; it is made again on the next write", Said: a.said()}
	}
	if missing := unknownProperties(body); len(missing) > 0 {
		// Every write that sets it would be refused alike: the mapping is
		// wrong, not the records.
		ap.s.schema().forgetTypes()
		e := connector.MappingInvalid(ap.s.object, missing, nil)
		e.Err = a.cause()
		return e
	}
	if len(idx) == 1 {
		ap.results[idx[0]].Err = body.refusal(a.status, a.fields.CorrelationID)
		return nil
	}
	blamed := map[int]wireError{}
	details := body.Errors
	if len(details) == 0 {
		details = []wireError{body}
	}
	byTrace := traces(idx)
	for _, d := range details {
		if d.Context == nil {
			d.Context = body.Context
		}
		owners := ap.named(k, idx, d, byTrace)
		if len(owners) == 0 {
			owners = ap.quoted(idx, d)
		}
		for _, i := range owners {
			if _, ok := blamed[i]; !ok {
				blamed[i] = d
			}
		}
	}
	var rest []int
	for _, i := range idx {
		if d, ok := blamed[i]; ok {
			ap.results[i].Err = d.refusal(a.status, a.fields.CorrelationID)
		} else {
			rest = append(rest, i)
		}
	}
	switch {
	case len(rest) == 0:
		return nil
	case len(blamed) > 0 && ap.budget >= 1:
		ap.budget--
		return ap.run(ctx, k, rest)
	case len(blamed) == 0 && ap.budget >= 2:
		ap.budget -= 2
		half := len(rest) / 2
		if err := ap.run(ctx, k, rest[:half]); err != nil {
			return err
		}
		return ap.run(ctx, k, rest[half:])
	}
	// Out of calls: these may be innocent, so the refusal is not definite.
	for _, i := range rest {
		e := body.refusal(a.status, a.fields.CorrelationID)
		e.Definite = false
		e.Message = "the external app refused a batch holding this record, and the connector could not tell which record was at fault; " + e.Message
		ap.results[i].Err = e
	}
	return nil
}

// quoted finds the writes an error quotes: for each property it names,
// every write that sets a property that does not exist (or cannot be
// set), else the one write whose value of it the message quotes; with no
// property named, the one write one of whose values the message quotes.
func (ap *applier) quoted(idx []int, e wireError) []int {
	msg := strings.ToLower(e.Message)
	code := strings.ToUpper(e.Code + " " + e.SubCategory)
	unknownProp := strings.Contains(code, "PROPERTY_DOESNT_EXIST") || strings.Contains(code, "READ_ONLY") ||
		strings.Contains(msg, "does not exist") || strings.Contains(msg, "read only") || strings.Contains(msg, "read-only")
	one := func(match func(w connector.Write) bool) []int {
		var hits []int
		for _, i := range idx {
			if match(ap.writes[i]) {
				hits = append(hits, i)
			}
		}
		if len(hits) == 1 {
			return hits
		}
		return nil
	}
	props := e.list("propertyName")
	var out []int
	for _, p := range props {
		if unknownProp {
			for _, i := range idx {
				if _, ok := ap.writes[i].Props[p]; ok && !slices.Contains(out, i) {
					out = append(out, i)
				}
			}
			continue
		}
		for _, i := range one(func(w connector.Write) bool {
			v := strings.ToLower(strings.TrimSpace(w.Props[p]))
			return v != "" && strings.Contains(msg, v)
		}) {
			if !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
	}
	if len(props) > 0 {
		return out
	}
	return one(func(w connector.Write) bool {
		for _, v := range w.Props {
			if v = strings.ToLower(strings.TrimSpace(v)); len(v) >= 3 && strings.Contains(msg, v) {
				return true
			}
		}
		return false
	})
}

// unknownProperties are the properties an error says do not exist
// (HubSpot's PROPERTY_DOESNT_EXIST), other than the origin property.
func unknownProperties(e wireError) []string {
	var out []string
	for _, d := range append([]wireError{e}, e.Errors...) {
		code := strings.ToUpper(d.Code + " " + d.SubCategory)
		if !strings.Contains(code, "PROPERTY_DOESNT_EXIST") {
			continue
		}
		if d.Context == nil {
			d.Context = e.Context
		}
		for _, p := range d.list("propertyName") {
			if p != OriginProperty && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// mentionsOrigin says an error is about OriginProperty not existing or not
// being unique, rather than about a record.
func mentionsOrigin(e wireError) bool {
	for _, d := range append([]wireError{e}, e.Errors...) {
		m := strings.ToLower(d.Message)
		if strings.Contains(m, OriginProperty) && (strings.Contains(m, "does not exist") || strings.Contains(m, "unique value")) {
			return true
		}
	}
	return false
}

func (e *schemaEntry) forgetOrigin() {
	e.originMu.Lock()
	defer e.originMu.Unlock()
	e.originReady = false
}

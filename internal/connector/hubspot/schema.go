package hubspot

import (
	"context"
	"crypto/sha256"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
)

// What the connector learns about an account's property definitions, kept
// per Connector value, account and object type: the type of each property
// (to put values in the hub's formats) and whether the origin property that
// makes creates idempotent exists.
//
// The account is known by a hash of the bearer, since one api_url (real
// HubSpot's) serves many accounts and Apply does not learn the hub id. An
// OAuth token is renewed every half hour, which only costs a fresh look.

// OriginProperty is the unique text property the connector creates on each
// object type to hold a create's Write.IdempotencyKey, so that a replayed
// create updates the record the first attempt made.
const OriginProperty = "hubsync_origin"

// How long what was learned is trusted.
const (
	typesTTL       = 10 * time.Minute
	failedTypesTTL = time.Minute
	refusedTTL     = 10 * time.Minute
	schemaMaxAge   = time.Hour // unused entries are dropped after this
)

type schemaKey struct {
	api, object string
	account     [16]byte
}

type schemaEntry struct {
	used atomic.Int64 // unix nanoseconds of the last use

	mu      sync.Mutex
	types   propertyTypes
	typesAt time.Time

	// originMu is held while the origin property is looked at, so that
	// concurrent writers ask once.
	originMu    sync.Mutex
	originReady bool
	originRetry time.Time // refused until then
}

func (s *session) schema() *schemaEntry {
	sum := sha256.Sum256([]byte(s.bearer))
	key := schemaKey{api: s.api, object: s.object}
	copy(key.account[:], sum[:])
	now := time.Now()
	c := s.c
	c.schemaMu.Lock()
	defer c.schemaMu.Unlock()
	e, ok := c.schemas[key]
	if !ok {
		for k, old := range c.schemas {
			if now.UnixNano()-old.used.Load() > int64(schemaMaxAge) {
				delete(c.schemas, k)
			}
		}
		if c.schemas == nil {
			c.schemas = map[schemaKey]*schemaEntry{}
		}
		e = &schemaEntry{}
		c.schemas[key] = e
	}
	e.used.Store(now.UnixNano())
	return e
}

// propertyTypes maps property names to HubSpot types (datetime, date, …).
// nil means unknown: values are then normalised by name and shape.
type propertyTypes map[string]string

// knownDatetimes are HubSpot datetime properties every account has, for
// when the definitions cannot be read (no schema scope).
var knownDatetimes = map[string]bool{
	"createdate": true, "lastmodifieddate": true, "hs_lastmodifieddate": true, "hs_createdate": true,
	"closedate": true, "notes_last_updated": true, "notes_last_contacted": true, "notes_next_activity_date": true,
	"hs_lastactivitydate": true, "lastactivitydate": true, "hs_last_sales_activity_timestamp": true,
}

// normalize puts a value in the hub's format: datetimes (which HubSpot gives
// as ISO 8601 or epoch milliseconds) as ISO 8601 UTC with milliseconds,
// dates as YYYY-MM-DD; anything else as it came.
func (pt propertyTypes) normalize(name, v string) string {
	if v == "" {
		return ""
	}
	typ, known := pt[name]
	if !known && knownDatetimes[name] {
		typ, known = "datetime", true
	}
	if !known && pt == nil && isoDatetime(v) {
		typ = "datetime" // an unknown property holding an ISO datetime
	}
	switch typ {
	case "datetime":
		if t, ok := parseWhen(v); ok {
			return t.UTC().Format(isoMillis)
		}
	case "date":
		if t, ok := parseWhen(v); ok {
			return t.UTC().Format(time.DateOnly)
		}
	}
	return v
}

const isoMillis = "2006-01-02T15:04:05.000Z"

// parseWhen reads epoch milliseconds, ISO 8601 (zone or not; no zone is
// UTC) or a plain date.
func parseWhen(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(n).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// isoDatetime says v looks like an ISO 8601 datetime with a zone.
func isoDatetime(v string) bool {
	if len(v) < len("2006-01-02T15:04Z") || v[4] != '-' || v[7] != '-' || v[10] != 'T' {
		return false
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return true
	}
	return false
}

// propertyTypes returns the object's property types, read at most every
// typesTTL; nil when they cannot be read (the reading goes on without).
func (c *Connector) propertyTypes(ctx context.Context, s *session) propertyTypes {
	if types, ok := s.schema().cachedTypes(); ok {
		return types
	}
	types, _ := s.readTypes(ctx)
	return types
}

func (e *schemaEntry) cachedTypes() (propertyTypes, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.types, time.Since(e.typesAt) < typesTTL
}

// forgetTypes makes the next use read the definitions again.
func (e *schemaEntry) forgetTypes() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.typesAt = time.Time{}
}

// readTypes reads the object's property definitions and remembers their
// types; a failure to read them is remembered for a shorter while. Two
// reads may race; both learn the same.
func (s *session) readTypes(ctx context.Context) (propertyTypes, error) {
	types, err := s.listProperties(ctx)
	if ctx.Err() == nil {
		at := time.Now()
		if types == nil {
			at = at.Add(failedTypesTTL - typesTTL) // ask again sooner
		}
		e := s.schema()
		e.mu.Lock()
		e.types, e.typesAt = types, at
		e.mu.Unlock()
	}
	return types, err
}

func (s *session) listProperties(ctx context.Context) (propertyTypes, error) {
	const what = "a property listing"
	a, err := s.call(ctx, http.MethodGet, "/crm/v3/properties/"+url.PathEscape(s.object), nil)
	if err != nil {
		return nil, err
	}
	if a.status != http.StatusOK {
		return nil, s.failure(a, what)
	}
	var list struct {
		Results []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"results"`
	}
	if err := s.decode(a, what, &list); err != nil {
		return nil, err
	}
	if len(list.Results) == 0 {
		return nil, nil
	}
	out := make(propertyTypes, len(list.Results))
	for _, p := range list.Results {
		out[p.Name] = p.Type
	}
	return out, nil
}

// Fields lists the properties of object, sorted. Without fresh it answers
// from the definitions read in the last typesTTL, if any. A token that may
// not read them (403: no crm.schemas read scope) gives
// connector.ErrNoFieldList, and so does, without fresh, a listing that
// failed in the last failedTypesTTL.
func (c *Connector) Fields(ctx context.Context, t connector.Target, cred connector.Credential, object string, fresh bool) (connector.Schema, error) {
	s, err := c.session(t, cred, object)
	if err != nil {
		return connector.Schema{}, redact(err, secrets(cred)...)
	}
	out := connector.Schema{Object: object}
	types, ok := s.schema().cachedTypes()
	switch {
	case ok && !fresh && types == nil:
		// The last listing failed a moment ago; it is tried again after
		// failedTypesTTL, not on every run meanwhile.
		return out, connector.ErrNoFieldList
	case !ok || fresh:
		types, err = s.readTypes(ctx)
	}
	out.Fields = slices.Sorted(maps.Keys(types))
	if e := connector.AsError(err); err != nil && e.Definite && e.Reason == connector.ReasonScopesMissing {
		return out, connector.ErrNoFieldList
	}
	return out, redact(err, secrets(cred)...)
}

// originGroups are the property groups HubSpot gives each standard object.
var originGroups = map[string]string{"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation"}

type propertyBody struct {
	Name           string `json:"name"`
	Label          string `json:"label"`
	Type           string `json:"type"`
	FieldType      string `json:"fieldType"`
	GroupName      string `json:"groupName"`
	Description    string `json:"description"`
	HasUniqueValue bool   `json:"hasUniqueValue"`
	FormField      bool   `json:"formField"`
}

// ensureOrigin makes sure OriginProperty exists as a unique property, once
// per account and object. It reports false when the external side refuses
// (no schema scope, or a property of that name that is not unique): creates
// then go without idempotency, and the question is asked again after
// refusedTTL. A failure of the call itself is an error.
func (c *Connector) ensureOrigin(ctx context.Context, s *session) (bool, error) {
	e := s.schema()
	e.originMu.Lock()
	defer e.originMu.Unlock()
	if e.originReady {
		return true, nil
	}
	if time.Now().Before(e.originRetry) {
		return false, nil
	}
	ready, err := s.lookOrigin(ctx)
	switch {
	case err != nil:
		return false, err
	case ready:
		e.originReady = true
	default:
		e.originRetry = time.Now().Add(refusedTTL)
	}
	return ready, nil
}

func (s *session) lookOrigin(ctx context.Context) (bool, error) {
	path := "/crm/v3/properties/" + url.PathEscape(s.object)
	a, err := s.call(ctx, http.MethodGet, path+"/"+OriginProperty, nil)
	if err != nil {
		return false, err
	}
	switch {
	case a.status == http.StatusOK:
		var p struct {
			HasUniqueValue bool `json:"hasUniqueValue"`
		}
		if err := s.decode(a, "a property read", &p); err != nil {
			return false, err
		}
		return p.HasUniqueValue, nil
	case a.status == http.StatusForbidden:
		return false, nil
	case a.status != http.StatusNotFound || !a.isJSON:
		return false, s.failure(a, "a read of the "+OriginProperty+" property")
	}
	group := originGroups[s.object]
	if group == "" {
		group = strings.TrimSuffix(s.object, "s") + "information"
	}
	a, err = s.call(ctx, http.MethodPost, path, propertyBody{Name: OriginProperty, Label: "hubsync origin",
		Type: "string", FieldType: "text", GroupName: group, HasUniqueValue: true,
		Description: "Set by hubsync on the records it creates, so that a retried create finds the record instead of making another."})
	if err != nil {
		return false, err
	}
	switch a.status {
	case http.StatusOK, http.StatusCreated, http.StatusConflict: // 409: another worker made it first
		return true, nil
	case http.StatusForbidden:
		return false, nil
	}
	return false, s.failure(a, "the creation of the "+OriginProperty+" property")
}

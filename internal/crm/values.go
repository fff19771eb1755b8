package crm

import (
	"math"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Stored forms: datetimes as ISO 8601 UTC with milliseconds and dates as
// YYYY-MM-DD, so that byte order is time order and search can compare them
// as text on every backend.
const (
	isoMillis = "2006-01-02T15:04:05.000Z"
	isoDate   = "2006-01-02"
)

// FormatTime is how the hub writes datetimes on the wire.
func FormatTime(t time.Time) string { return t.UTC().Format(isoMillis) }

// normalize checks a value against its property and returns the stored
// form. An empty value clears the property and needs no check.
func normalize(p store.Property, value string) (string, *Error) {
	if value == "" {
		return "", nil
	}
	bad := func(code, format string, args ...any) (string, *Error) {
		return "", invalid(code, format, args...).with("propertyName", p.Name)
	}
	if len(value) > maxPropertyValueSize {
		return bad(CodeInvalidValue, "%s is longer than %d characters", p.Name, maxPropertyValueSize)
	}
	switch p.Type {
	case "number":
		v, ok := decimal(value)
		if !ok {
			return bad(CodeInvalidValue, "%q was not a valid number for %s", value, p.Name)
		}
		return v, nil
	case "bool":
		switch strings.ToLower(strings.TrimSpace(value)) {
		case "true":
			return "true", nil
		case "false":
			return "false", nil
		}
		return bad(CodeInvalidValue, "%q was not a valid boolean for %s (use true or false)", value, p.Name)
	case "date":
		t, ok := parseTime(value)
		if !ok {
			return bad(CodeInvalidValue, "%q was not a valid date for %s (use YYYY-MM-DD or epoch milliseconds)", value, p.Name)
		}
		return t.Format(isoDate), nil
	case "datetime":
		t, ok := parseTime(value)
		if !ok {
			return bad(CodeInvalidValue, "%q was not a valid datetime for %s (use ISO 8601 or epoch milliseconds)", value, p.Name)
		}
		return t.Format(isoMillis), nil
	case "enumeration":
		return checkOptions(p, value)
	}
	if p.Name == PropEmail {
		return normalizeEmail(p, value)
	}
	return value, nil
}

func normalizeEmail(p store.Property, value string) (string, *Error) {
	v := FoldEmail(value)
	if addr, err := mail.ParseAddress(v); err != nil || addr.Address != v {
		return "", invalid(CodeInvalidEmail, "Email address %s is invalid", value).with("propertyName", p.Name)
	}
	return v, nil
}

// FoldEmail is an email as the hub stores and looks it up: trimmed and
// lowercased here in Go, all of Unicode alike (a Kelvin sign is a k), since
// databases fold only ASCII (store.RecordsByValue) and would otherwise
// disagree with each other and with what was stored.
func FoldEmail(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

// LookupValue is a value as lookups of a property compare it: in its
// stored form, so an email is folded; other values are stored as given.
func LookupValue(property, v string) string {
	if property == PropEmail {
		return FoldEmail(v)
	}
	return v
}

// decimalNumber is the number syntax every backend can compare: plain
// decimals with an optional exponent, not Go's hex floats or underscores.
var decimalNumber = regexp.MustCompile(`^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`)

// decimal checks a number and returns it trimmed, without a leading plus.
func decimal(value string) (string, bool) {
	v := strings.TrimPrefix(strings.TrimSpace(value), "+")
	if !decimalNumber.MatchString(v) {
		return "", false
	}
	f, err := strconv.ParseFloat(v, 64)
	return v, err == nil && !math.IsInf(f, 0)
}

// checkOptions accepts one option value, or several separated by ";" for
// multi-select checkboxes.
func checkOptions(p store.Property, value string) (string, *Error) {
	values := []string{value}
	if p.FieldType == "checkbox" {
		values = strings.Split(value, ";")
	}
	for _, v := range values {
		if !hasOption(p, v) {
			allowed := make([]string, len(p.Options))
			for i, o := range p.Options {
				allowed[i] = o.Value
			}
			return "", invalid(CodeInvalidOption, "%s was not one of the allowed options for %s: [%s]",
				v, p.Name, strings.Join(allowed, ", ")).with("propertyName", p.Name)
		}
	}
	return value, nil
}

func hasOption(p store.Property, v string) bool {
	for _, o := range p.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// parseTime accepts epoch milliseconds, RFC 3339 with or without fractions
// or zone, and plain dates.
func parseTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", isoDate} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

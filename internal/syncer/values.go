package syncer

import (
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Field types a mapping converts between.
const (
	TypeText        = "text"
	TypeNumber      = "number"
	TypeDate        = "date"
	TypeDateTime    = "datetime"
	TypeBoolean     = "boolean"
	TypeEnumeration = "enumeration"
)

// normalize puts a value in its type's canonical form, so the same value
// written by two apps compares equal ("1.50" and "1.5", "t" and "true",
// epoch milliseconds and ISO). A value that does not parse is kept as it
// is; the side it is written to refuses it and the record is quarantined.
func normalize(typ, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	switch typ {
	case TypeNumber:
		return number(v)
	case TypeBoolean:
		switch strings.ToLower(v) {
		case "true", "t", "1", "yes", "y", "on":
			return "true"
		case "false", "f", "0", "no", "n", "off":
			return "false"
		}
	case TypeDateTime:
		if t, ok := parseTime(v); ok {
			return t.UTC().Format("2006-01-02T15:04:05.000Z")
		}
	case TypeDate:
		if t, ok := parseTime(v); ok {
			return t.UTC().Format(time.DateOnly)
		}
	}
	return v
}

func number(v string) string {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return v
	}
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(30)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func parseTime(v string) (time.Time, bool) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func ratOf(v string) (*big.Rat, bool) {
	return new(big.Rat).SetString(strings.TrimSpace(v))
}

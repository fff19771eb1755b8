package postgres

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Values cross the wire as text both ways. Reading, SQL renders each column
// in the hub's format (readExpr); writing, Go checks and normalizes each hub
// value first (toDB), so that one bad value rejects one write with a message
// naming the column instead of failing the statement of the whole batch,
// and SQL casts the text to the column's type.

// kind is how a column's values are converted.
type kind uint8

const (
	kindText kind = iota // text, varchar, char, name
	kindInt
	kindNumeric
	kindFloat
	kindBool
	kindDate
	kindTimestamp   // without time zone: its wall time is taken as UTC
	kindTimestamptz // with time zone
	kindUUID
	kindJSON
	kindOther // enums, arrays, citext, …: the database validates them
)

// kindOf classifies a built-in type by OID (a domain by its base type).
// bits is the size of an integer or float type.
func kindOf(oid uint32) (k kind, bits int) {
	switch oid {
	case 25, 1043, 1042, 19, 18: // text, varchar, bpchar, name, "char"
		return kindText, 0
	case 21:
		return kindInt, 16
	case 23:
		return kindInt, 32
	case 20:
		return kindInt, 64
	case 1700:
		return kindNumeric, 0
	case 700:
		return kindFloat, 32
	case 701:
		return kindFloat, 64
	case 16:
		return kindBool, 0
	case 1082:
		return kindDate, 0
	case 1114:
		return kindTimestamp, 0
	case 1184:
		return kindTimestamptz, 0
	case 2950:
		return kindUUID, 0
	case 114, 3802:
		return kindJSON, 0
	}
	return kindOther, 0
}

// pgHubTime is the hub's datetime format (ISO 8601, UTC, milliseconds) for
// to_char. MS truncates to the millisecond, as time.Format does.
const pgHubTime = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`

// readExpr is the SQL that renders column col of the row aliased t as the
// hub's text.
func (col *column) readExpr(t string) string {
	ref := t + "." + col.quoted
	switch col.kind {
	case kindText:
		if col.typeOID == 25 || col.typeOID == 1043 {
			return ref // no cast, so lower(ref) can use an index on lower(col)
		}
		return ref + "::text"
	case kindDate:
		return "to_char(" + ref + ", 'YYYY-MM-DD')"
	case kindTimestamp:
		return "to_char(" + ref + ", " + pgHubTime + ")"
	case kindTimestamptz:
		return "to_char(" + ref + " AT TIME ZONE 'UTC', " + pgHubTime + ")"
	}
	// numeric and integer text is plain decimals, bool text is true/false.
	return ref + "::text"
}

// fromDB finishes in Go what readExpr cannot do in SQL: a float's text may
// use an exponent, the hub wants plain decimals.
func (col *column) fromDB(raw []byte) string {
	if raw == nil {
		return ""
	}
	if col.kind == kindFloat {
		if f, err := strconv.ParseFloat(string(raw), col.bits); err == nil {
			return strconv.FormatFloat(f, 'f', -1, col.bits)
		}
	}
	return string(raw)
}

var decimal = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// toDB checks a non-empty hub value v for col and returns the text the
// column's type accepts, or why it cannot hold v.
func (col *column) toDB(v string) (string, error) {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return "", fmt.Errorf("the value is not valid text")
	}
	switch col.kind {
	case kindText:
		if col.maxLen > 0 && utf8.RuneCountInString(v) > col.maxLen {
			return "", fmt.Errorf("the value is longer than %d characters", col.maxLen)
		}
		return v, nil
	case kindInt:
		return toInt(v, col.bits)
	case kindNumeric:
		if !decimal.MatchString(v) {
			return "", fmt.Errorf("the value is not a number")
		}
		return v, nil
	case kindFloat:
		if !decimal.MatchString(v) {
			return "", fmt.Errorf("the value is not a number")
		}
		if _, err := strconv.ParseFloat(v, col.bits); err != nil {
			return "", fmt.Errorf("the number is out of range")
		}
		return v, nil
	case kindBool:
		switch strings.ToLower(v) {
		case "true", "t", "yes", "y", "on", "1":
			return "true", nil
		case "false", "f", "no", "n", "off", "0":
			return "false", nil
		}
		return "", fmt.Errorf(`the value is not "true" or "false"`)
	case kindDate:
		return toDate(v)
	case kindTimestamp, kindTimestamptz:
		t, err := toTime(v)
		if err != nil {
			return "", err
		}
		if col.kind == kindTimestamp {
			return t.Format("2006-01-02 15:04:05.999999"), nil
		}
		return t.Format(time.RFC3339Nano), nil
	case kindUUID:
		u, err := uuid.Parse(v)
		if err != nil {
			return "", fmt.Errorf("the value is not a UUID")
		}
		return u.String(), nil
	case kindJSON:
		if !json.Valid([]byte(v)) {
			return "", fmt.Errorf("the value is not JSON")
		}
		return v, nil
	}
	return v, nil
}

// toInt accepts a plain decimal with no fraction, or a zero one ("12.0").
func toInt(v string, bits int) (string, error) {
	if !decimal.MatchString(v) || strings.ContainsAny(v, "eE") {
		return "", fmt.Errorf("the value is not a whole number")
	}
	whole, frac, _ := strings.Cut(v, ".")
	if strings.Trim(frac, "0") != "" {
		return "", fmt.Errorf("the value is not a whole number")
	}
	if whole == "" || whole == "+" || whole == "-" {
		whole += "0"
	}
	n, err := strconv.ParseInt(whole, 10, bits)
	if err != nil {
		return "", fmt.Errorf("the number is out of range for a %d-bit integer", bits)
	}
	return strconv.FormatInt(n, 10), nil
}

// toDate accepts YYYY-MM-DD, or a datetime at midnight UTC, which is how
// some apps (HubSpot among them) write a date.
func toDate(v string) (string, error) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.Format(time.DateOnly), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		if t = t.UTC(); t.Equal(t.Truncate(24 * time.Hour)) {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", fmt.Errorf("the value is not a date (YYYY-MM-DD)")
}

// toTime accepts ISO 8601 with a zone, or a bare date as its midnight UTC.
func toTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d, nil
	}
	return time.Time{}, fmt.Errorf("the value is not an ISO 8601 datetime with a time zone, e.g. 2024-05-01T09:30:00.000Z")
}

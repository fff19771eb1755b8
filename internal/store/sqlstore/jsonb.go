package sqlstore

import (
	"encoding/binary"
	"slices"

	"github.com/hubsync/hubsync/internal/jsontext"
)

// SQLite keeps a record's properties as its binary JSON (JSONB). Sending
// JSON text through jsonb(?) made SQLite parse every record again inside
// the single writer, a tenth of the time an insert held it; the encoding
// below is as cheap to write as the text, so the store writes JSONB itself.
// The format is SQLite's documented one (https://sqlite.org/jsonb.html):
// each element is a header, whose low four bits are its type and high four
// its payload's size or the width of the size that follows, then the payload.

// JSONB element types the store writes.
const (
	jsonbText   = 0x7 // a string needing no escape in JSON, as is
	jsonbTextJ  = 0x8 // a string with JSON escapes in it
	jsonbObject = 0xc
)

// propsJSONB is the JSONB of a flat object of strings, its keys sorted as
// propsJSON sorts them, its strings the values json.Marshal would write.
func propsJSONB(props map[string]string) []byte {
	keys := make([]string, 0, len(props))
	n := 0
	for k, v := range props {
		keys = append(keys, k)
		n += len(k) + len(v) + 2*9
	}
	slices.Sort(keys)
	payload := make([]byte, 0, n)
	for _, k := range keys {
		payload = appendJSONBString(payload, k)
		payload = appendJSONBString(payload, props[k])
	}
	b := make([]byte, 0, len(payload)+9)
	b = appendJSONBHeader(b, jsonbObject, len(payload))
	return append(b, payload...)
}

// appendJSONBString appends a string element. Plain ASCII goes as is;
// anything else goes with the escapes encoding/json writes, so invalid
// UTF-8 becomes U+FFFD as it did when the store sent JSON text.
func appendJSONBString(b []byte, s string) []byte {
	if plainASCII(s) {
		b = appendJSONBHeader(b, jsonbText, len(s))
		return append(b, s...)
	}
	q := jsontext.AppendString(nil, s)
	q = q[1 : len(q)-1] // the payload has no quotes
	b = appendJSONBHeader(b, jsonbTextJ, len(q))
	return append(b, q...)
}

// plainASCII reports whether s is ASCII with nothing encoding/json
// escapes: stored JSONB then reads back as the same text as before.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendJSONBHeader appends the header of an element of type typ whose
// payload is size bytes, in the fewest bytes the format allows.
func appendJSONBHeader(b []byte, typ byte, size int) []byte {
	switch {
	case size <= 11:
		return append(b, byte(size)<<4|typ)
	case size <= 0xff:
		return append(b, 12<<4|typ, byte(size))
	case size <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 13<<4|typ), uint16(size))
	default:
		return binary.BigEndian.AppendUint32(append(b, 14<<4|typ), uint32(size))
	}
}

// Package jsontext writes the JSON of the hub's hottest shapes (records'
// properties, in the store and in API answers) without reflection, byte
// for byte as encoding/json would.
package jsontext

import (
	"encoding/json"
	"unicode/utf8"
)

// AppendString appends s quoted as encoding/json quotes it: plain ASCII
// directly, anything it escapes (quotes, controls, HTML characters) or
// checks (non-ASCII) through encoding/json itself.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

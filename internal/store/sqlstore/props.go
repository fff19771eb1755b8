package sqlstore

import (
	"encoding/json"
	"slices"
	"unicode/utf8"

	"github.com/hubsync/hubsync/internal/jsontext"
)

// A record's properties travel to and from the database as a flat JSON
// object of strings, two hundred of them per batch written (the record and
// its change) and one per record read. encoding/json reflects over the map
// and sorts its keys through interfaces; these do the common case directly
// and hand anything unusual (escapes, non-ASCII that needs checking) to
// encoding/json, so the bytes are the same as its.

// propsJSON is json.Marshal(props).
func propsJSON(props map[string]string) []byte {
	// Not slices.Sorted(maps.Keys(props)), whose slice grows as it fills.
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := 2
	for _, k := range keys {
		n += len(k) + len(props[k]) + 6
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsontext.AppendString(b, k)
		b = append(b, ':')
		b = jsontext.AppendString(b, props[k])
	}
	return append(b, '}')
}

// decodeProps is json.Unmarshal of a properties object.
func decodeProps(data []byte) (map[string]string, error) {
	if m, ok := flatProps(data); ok {
		return m, nil
	}
	var m map[string]string
	err := json.Unmarshal(data, &m)
	return m, err
}

// flatProps reads {"k": "v", …} whose strings hold no escape, no control
// character and only valid UTF-8; ok is false for anything else.
func flatProps(data []byte) (m map[string]string, ok bool) {
	p := propsParser{data: data}
	if !p.skip('{') {
		return nil, false
	}
	m = map[string]string{}
	if p.skip('}') {
		return m, p.end()
	}
	for {
		k, ok1 := p.str()
		if !ok1 || !p.skip(':') {
			return nil, false
		}
		v, ok2 := p.str()
		if !ok2 {
			return nil, false
		}
		m[k] = v
		switch {
		case p.skip(','):
		case p.skip('}'):
			return m, p.end()
		default:
			return nil, false
		}
	}
}

type propsParser struct {
	data []byte
	i    int
}

func (p *propsParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// skip consumes c after any space.
func (p *propsParser) skip(c byte) bool {
	p.space()
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *propsParser) end() bool {
	p.space()
	return p.i == len(p.data)
}

// str reads a plain string.
func (p *propsParser) str() (string, bool) {
	if !p.skip('"') {
		return "", false
	}
	start := p.i
	ascii := true
	for ; p.i < len(p.data); p.i++ {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

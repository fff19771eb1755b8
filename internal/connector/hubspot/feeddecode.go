package hubspot

import (
	"encoding/json"
	"errors"
)

// Decoding the change listing's pages. A page of 1,000 records is most of
// what a backfill from another hub reads, and encoding/json spent several
// microseconds a record on it: it checks the whole input before decoding
// it, and reaches every property value through text's UnmarshalJSON.
// decodeFeedPage walks the bytes once, for the shape a hub answers; at
// anything else (a key it does not know, a number where a string was, a
// key given twice, broken JSON) it gives up and the whole page goes to
// encoding/json, so what it accepts, and how a bad page is refused, stay
// encoding/json's.

// errOffShape stops the fast walk; the page is decoded again the slow way.
var errOffShape = errors.New("off the change listing's usual shape")

// decodeFeedPage decodes a change listing page as json.Unmarshal would.
func decodeFeedPage(data []byte) (feedPage, error) {
	var p feedPage
	if err := newWalk(data).page(&p); err == nil {
		return p, nil
	}
	p = feedPage{}
	return p, json.Unmarshal(data, &p)
}

// walk reads JSON from data at i.
type walk struct {
	data []byte
	i    int
	// text is data as one string: plain values are cut out of it instead
	// of copied one by one (a page's values live as long as the page).
	text string
	// names holds each property name once: every record repeats them.
	names map[string]string
	// lastProps is how many properties the last record had.
	lastProps int
}

func newWalk(data []byte) *walk {
	return &walk{data: data, text: string(data), names: map[string]string{}}
}

func (w *walk) page(p *feedPage) error {
	var seen fields
	err := w.object(func(key []byte) error {
		switch string(key) {
		case "results":
			return seen.once(0, w.records(&p.Results))
		case "position":
			return seen.once(1, w.textValue(&p.Position))
		case "paging":
			return seen.once(2, w.paging(p))
		}
		return errOffShape
	})
	if err != nil {
		return err
	}
	w.space()
	if w.i != len(w.data) {
		return errOffShape
	}
	return nil
}

func (w *walk) paging(p *feedPage) error {
	if w.null() {
		return nil
	}
	p.Paging = &struct {
		Next *struct {
			After text `json:"after"`
		} `json:"next"`
	}{}
	var seen fields
	return w.object(func(key []byte) error {
		if string(key) != "next" {
			return errOffShape
		}
		if w.null() {
			return seen.once(0, nil)
		}
		p.Paging.Next = &struct {
			After text `json:"after"`
		}{}
		var inner fields
		return seen.once(0, w.object(func(key []byte) error {
			switch string(key) {
			case "after":
				return inner.once(0, w.textValue(&p.Paging.Next.After))
			case "link":
				var link string
				return inner.once(1, w.str(&link))
			}
			return errOffShape
		}))
	})
}

func (w *walk) records(out *[]wireRecord) error {
	if w.null() {
		*out = nil
		return nil
	}
	recs := []wireRecord{}
	err := w.array(func() error {
		recs = append(recs, wireRecord{})
		return w.record(&recs[len(recs)-1])
	})
	*out = recs
	return err
}

func (w *walk) record(r *wireRecord) error {
	var seen fields
	return w.object(func(key []byte) error {
		switch string(key) {
		case "id":
			return seen.once(0, w.textValue(&r.ID))
		case "properties":
			return seen.once(1, w.props(&r.Properties))
		case "createdAt":
			return seen.once(2, w.str(&r.CreatedAt))
		case "updatedAt":
			return seen.once(3, w.str(&r.UpdatedAt))
		case "archivedAt":
			return seen.once(4, w.str(&r.ArchivedAt))
		case "archived":
			return seen.once(5, w.boolean(&r.Archived))
		}
		return errOffShape
	})
}

func (w *walk) props(out *map[string]text) error {
	if w.null() {
		*out = nil
		return nil
	}
	m := make(map[string]text, w.lastProps)
	err := w.object(func(key []byte) error {
		name, ok := w.names[string(key)]
		if !ok {
			name = string(key)
			w.names[name] = name
		}
		if _, dup := m[name]; dup {
			return errOffShape
		}
		var v text
		err := w.textValue(&v)
		m[name] = v
		return err
	})
	*out, w.lastProps = m, len(m)
	return err
}

// object reads an object, calling field for each key (valid only during
// the call) with w at its value.
func (w *walk) object(field func(key []byte) error) error {
	if !w.take('{') {
		return errOffShape
	}
	if w.take('}') {
		return nil
	}
	for {
		key, err := w.key()
		if err != nil {
			return err
		}
		if !w.take(':') {
			return errOffShape
		}
		if err := field(key); err != nil {
			return err
		}
		if w.take('}') {
			return nil
		}
		if !w.take(',') {
			return errOffShape
		}
	}
}

// array reads an array, calling elem with w at each element.
func (w *walk) array(elem func() error) error {
	if !w.take('[') {
		return errOffShape
	}
	if w.take(']') {
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if w.take(']') {
			return nil
		}
		if !w.take(',') {
			return errOffShape
		}
	}
}

// key reads an object's key: a string, never null.
func (w *walk) key() ([]byte, error) {
	start, end, plainText, err := w.quoted()
	if err != nil {
		return nil, err
	}
	if plainText {
		return w.data[start+1 : end-1], nil
	}
	var key string
	err = json.Unmarshal(w.data[start:end], &key)
	return []byte(key), err
}

// str reads a string, or null, which leaves s as it was (as encoding/json
// does). A string with escapes is unquoted by encoding/json.
func (w *walk) str(s *string) error {
	if w.null() {
		return nil
	}
	start, end, plainText, err := w.quoted()
	if err != nil {
		return err
	}
	if plainText {
		*s = w.text[start+1 : end-1]
		return nil
	}
	return json.Unmarshal(w.data[start:end], s)
}

// textValue reads a string or null as text; numbers and booleans, rare
// in a hub's answer, send the page the slow way.
func (w *walk) textValue(t *text) error {
	if w.null() {
		*t = ""
		return nil
	}
	var s string
	err := w.str(&s)
	*t = text(s)
	return err
}

func (w *walk) boolean(b *bool) error {
	switch {
	case w.word("true"):
		*b = true
	case w.word("false"):
		*b = false
	case w.word("null"):
	default:
		return errOffShape
	}
	return nil
}

// quoted finds the string at w, quotes included, at data[start:end];
// plainText says it means itself (see plain).
func (w *walk) quoted() (start, end int, plainText bool, err error) {
	w.space()
	start = w.i
	if start >= len(w.data) || w.data[start] != '"' {
		return 0, 0, false, errOffShape
	}
	escaped := false
	for i := start + 1; i < len(w.data); i++ {
		switch c := w.data[i]; {
		case c == '\\':
			escaped = true
			i++ // the escaped character cannot end the string
		case c == '"':
			w.i = i + 1
			return start, w.i, !escaped && plain(w.data[start+1:i]), nil
		case c < 0x20:
			return 0, 0, false, errOffShape
		}
	}
	return 0, 0, false, errOffShape
}

// null reads a null if one is next.
func (w *walk) null() bool { return w.word("null") }

// word reads the literal lit if it is next.
func (w *walk) word(lit string) bool {
	w.space()
	end := w.i + len(lit)
	if end > len(w.data) || string(w.data[w.i:end]) != lit {
		return false
	}
	if end < len(w.data) && isWordByte(w.data[end]) {
		return false
	}
	w.i = end
	return true
}

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// take reads c if it is next.
func (w *walk) take(c byte) bool {
	w.space()
	if w.i < len(w.data) && w.data[w.i] == c {
		w.i++
		return true
	}
	return false
}

func (w *walk) space() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// fields are the fields of one object read so far, by number: encoding/json
// merges a field given twice in ways the walk does not copy.
type fields uint8

// once notes field n read, with err the outcome of reading it, and fails
// it if n was read before.
func (f *fields) once(n uint, err error) error {
	if *f&(1<<n) != 0 {
		return errOffShape
	}
	*f |= 1 << n
	return err
}

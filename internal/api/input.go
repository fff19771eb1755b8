package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// What the edge does for every route, before any of them runs: it gives
// the request body a deadline and refuses a NUL character anywhere the
// hub would store or look up text. PostgreSQL cannot hold NUL in text (it
// fails with 22P05), so without this the same request was a 400 on SQLite
// and a 500 on PostgreSQL, route by route. JSON bodies are checked where
// every one of them is decoded (decodeBody), after the caller is
// authenticated, so that no stranger makes the hub read a large body.

// DefaultBodyTimeout is how long a request body may take to arrive.
const DefaultBodyTimeout = 30 * time.Second

// maxFormBody bounds the form bodies the edge reads: OAuth and sign-in
// forms are a few hundred bytes.
const maxFormBody = 64 << 10

// codeNUL is the subCategory of a refused NUL character.
const codeNUL = "NUL_CHARACTER"

// guard checks what every route takes: the body's deadline, then NUL in the
// path, the query, Basic credentials and form fields. pattern is the
// matched route, empty when none matches.
func (s *Server) guard(w http.ResponseWriter, r *http.Request, pattern string) error {
	s.limitBody(w, r)
	// A URL can spell a NUL only as %00 (Go refuses raw control
	// characters), so most requests skip the parsing below.
	if strings.Contains(r.URL.EscapedPath(), "%00") {
		if name := nulPathSegment(r, pattern); name != "" {
			return nulError(r, "path parameter", name)
		}
	}
	if strings.Contains(r.URL.RawQuery, "%00") {
		if name := nulValue(r.URL.Query()); name != "" {
			return nulError(r, "query parameter", name)
		}
	}
	if user, password, ok := r.BasicAuth(); ok && strings.ContainsRune(user+password, 0) {
		return nulError(r, "header", "Authorization")
	}
	multipart, ok := formType(r)
	if !ok {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	parse := r.ParseForm
	if multipart {
		// Held to the same bound, so the parsers of later readers (Go's
		// FormValue keeps 32 MiB in memory, fosite's 1 MiB, and both spill
		// files to disk) find it parsed and read nothing more.
		parse = func() error { return r.ParseMultipartForm(maxFormBody) }
	}
	if err := parse(); err != nil {
		return bodyError(r, err, "The form body or query string cannot be read")
	}
	if name := nulValue(r.PostForm); name != "" {
		return nulError(r, "form field", name)
	}
	// The body stays parsed in PostForm; Form is merged again with the
	// query when a handler asks, after it may have changed the query (the
	// authorize endpoint adds HubSpot's missing response_type).
	r.Form = nil
	return nil
}

// limitBody gives the body until the timeout to arrive. A stalled body
// used to hold its connection and goroutine for as long as the client
// liked; now the read fails, the request is answered 408 and the
// connection closed. The deadline is lifted once the whole body is read,
// because while the handler runs the server watches the idle connection
// with the same deadline, and would cancel the request when it passed. It
// stays after a failed read, so that the server's attempt to drain the
// rest of the body before answering fails at once too.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	timeout := s.BodyTimeout
	if timeout <= 0 {
		timeout = DefaultBodyTimeout
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(timeout)) != nil {
		return // not a network connection (a test recorder, say)
	}
	r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
}

type deadlineBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	lifted bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.lifted {
		b.lifted = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// formType reports whether the body is a form, and whether a multipart one.
func formType(r *http.Request) (multipart, ok bool) {
	switch t, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); t {
	case "application/x-www-form-urlencoded":
		return false, true
	case "multipart/form-data":
		return true, true
	}
	return false, false
}

// bodyError explains a body that could not be read: too large, too slow,
// or (what) malformed.
func bodyError(r *http.Request, err error, what string) *apiError {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &apiError{status: http.StatusRequestEntityTooLarge, category: catValidation, subCategory: "REQUEST_TOO_LARGE",
			message: fmt.Sprintf("The request body is larger than the %d bytes the hub accepts", tooBig.Limit)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &apiError{status: http.StatusRequestTimeout, category: catValidation, subCategory: "REQUEST_TIMEOUT",
			message: "The request body did not arrive in time; send it whole, without pausing"}
	}
	return oauthShaped(r, badRequest("MALFORMED_BODY", what))
}

// nulPathSegment names the path parameter holding a NUL ("path" when the
// segment is not a parameter of the route), or returns "".
func nulPathSegment(r *http.Request, pattern string) string {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	_, route, _ := strings.Cut(pattern, " ")
	if route == "" {
		route = pattern
	}
	params := strings.Split(route, "/")
	for i, seg := range segs {
		v, err := url.PathUnescape(seg)
		if err != nil || !strings.ContainsRune(v, 0) {
			continue
		}
		if i < len(params) && strings.HasPrefix(params[i], "{") {
			return strings.Trim(params[i], "{}.")
		}
		return "path"
	}
	return ""
}

// nulValue names the first parameter whose name or a value holds a NUL.
func nulValue(vs url.Values) string {
	for _, k := range slices.Sorted(maps.Keys(vs)) {
		if strings.ContainsRune(k, 0) {
			return strconv.Quote(k)
		}
		for _, v := range vs[k] {
			if strings.ContainsRune(v, 0) {
				return k
			}
		}
	}
	return ""
}

// nulError refuses a NUL in the named input. The value is never quoted:
// it may be a password or a token.
func nulError(r *http.Request, where, name string) *apiError {
	e := badRequest(codeNUL, fmt.Sprintf("The %s %s holds a NUL character (\\u0000), which the hub does not accept in text", where, name))
	e.context = map[string][]string{"field": {name}}
	return oauthShaped(r, e)
}

// oauthShaped adds RFC 6749's error fields to an error on an OAuth
// endpoint, whose clients may read those instead of HubSpot's.
func oauthShaped(r *http.Request, e *apiError) *apiError {
	if strings.HasPrefix(r.URL.Path, "/oauth/") {
		e.rfcError = "invalid_request"
	}
	return e
}

// nulField returns where in a JSON document a string (a key or a value)
// holds a NUL, as properties.firstname or inputs[2].id, or "". A document
// that is not valid JSON is left to its decoder to explain.
func nulField(body []byte) string {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return "" // the only way JSON text spells a NUL
	}
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []*frame
	path := func(last string) string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			case f == stack[len(stack)-1] && last != "":
				b.WriteString("." + last)
			default:
				b.WriteString("." + f.key)
			}
		}
		return strings.TrimPrefix(b.String(), ".")
	}
	// done moves the innermost container past the value just read.
	done := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.array {
			top.index++
		} else {
			top.wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				stack = append(stack, &frame{array: v == '[', wantKey: v == '{'})
				continue
			}
			stack = stack[:len(stack)-1]
			done()
		case string:
			if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
				stack[top].key, stack[top].wantKey = v, false
				if strings.ContainsRune(v, 0) {
					return path(strconv.Quote(v))
				}
				continue
			}
			if strings.ContainsRune(v, 0) {
				return path("")
			}
			done()
		default:
			done()
		}
	}
}

// fastDecoder is a body that can read its most common shape without
// reflection. decodeFast reports false, having set nothing, for any body
// it does not fully understand; encoding/json then reads it and explains
// what is wrong with it.
type fastDecoder interface {
	decodeFast(body []byte) bool
}

// decodeFast reads {"inputs":[{"properties":{…},"associations":[]},…]}
// whose strings are plain (no escapes, no control characters, valid
// UTF-8): what batch clients send. Decoding it by reflection was a tenth of
// a batch create.
func (in *batchCreateJSON) decodeFast(body []byte) bool {
	s := jsonScan{data: body}
	if !s.skip('{') || s.key() != "inputs" || !s.skip('[') {
		return false
	}
	inputs := []*createJSON{}
	for !s.skip(']') {
		if len(inputs) > 0 && !s.skip(',') {
			return false
		}
		x, ok := s.createInput()
		if !ok {
			return false
		}
		inputs = append(inputs, x)
	}
	if !s.skip('}') || !s.end() {
		return false
	}
	in.Inputs = inputs
	return true
}

// jsonScan reads the plain JSON of decodeFast; every method reports
// failure rather than guessing.
type jsonScan struct {
	data []byte
	i    int
}

func (s *jsonScan) space() {
	for s.i < len(s.data) && (s.data[s.i] == ' ' || s.data[s.i] == '\t' || s.data[s.i] == '\n' || s.data[s.i] == '\r') {
		s.i++
	}
}

// skip consumes c after any space.
func (s *jsonScan) skip(c byte) bool {
	s.space()
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jsonScan) end() bool {
	s.space()
	return s.i == len(s.data)
}

// str reads a plain string.
func (s *jsonScan) str() (string, bool) {
	if !s.skip('"') {
		return "", false
	}
	start, ascii := s.i, true
	for ; s.i < len(s.data); s.i++ {
		switch c := s.data[s.i]; {
		case c == '"':
			v := s.data[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(v) {
				return "", false
			}
			return string(v), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// key reads a member's name and its colon; "" when there is none.
func (s *jsonScan) key() string {
	k, ok := s.str()
	if !ok || k == "" || !s.skip(':') {
		return ""
	}
	return k
}

// createInput reads {"properties":{…}} with an optional empty
// "associations" list, each member at most once.
func (s *jsonScan) createInput() (*createJSON, bool) {
	if !s.skip('{') {
		return nil, false
	}
	x := &createJSON{}
	if s.skip('}') {
		return x, true
	}
	var props, assocs bool
	for {
		switch s.key() {
		case "properties":
			p, ok := s.stringMap()
			if !ok || props {
				return nil, false
			}
			x.Properties, props = p, true
		case "associations":
			if !s.skip('[') || !s.skip(']') || assocs {
				return nil, false
			}
			assocs = true
		default:
			return nil, false
		}
		switch {
		case s.skip(','):
		case s.skip('}'):
			return x, true
		default:
			return nil, false
		}
	}
}

// stringMap reads an object of plain strings; a repeated name keeps its
// last value, as encoding/json does.
func (s *jsonScan) stringMap() (values, bool) {
	if !s.skip('{') {
		return nil, false
	}
	m := values{}
	if s.skip('}') {
		return m, true
	}
	for {
		k, ok := s.str()
		if !ok || !s.skip(':') {
			return nil, false
		}
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		m[k] = v
		switch {
		case s.skip(','):
		case s.skip('}'):
			return m, true
		default:
			return nil, false
		}
	}
}

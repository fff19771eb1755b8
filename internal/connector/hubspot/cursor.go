package hubspot

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
)

// position is what a Changes cursor holds, as base64url JSON behind a
// version prefix. Against another hubsync it holds only a feed position
// (Via, Feed; see feed.go); elsewhere it has two independent parts.
//
// Live records are read by search, ordered by last-modified time, and every
// call starts a new query from TS instead of paging with `after`, so no
// query ever nears HubSpot's cap of 10,000 results. Records modified at or
// after TS are still to read. When one timestamp holds more records than a
// page (bulk imports), Tie is set and that timestamp's records are read by
// hs_object_id, ID being the last one read, until none are left; then TS
// moves one millisecond on.
//
// Archived records are found by passes over the archived listing (search
// never returns them), one page at a time across calls: AAfter is the
// listing's paging token inside the running pass, APass the server time the
// pass began (0 when none runs), ANext when the next pass may begin. A pass
// reports records archived at or after ASince; once it ends, ASince becomes
// its start less the overlap, so a record archived during a pass behind its
// paging position is caught by the next one.
type position struct {
	TS  int64 `json:"ts,omitempty"`
	Tie bool  `json:"tie,omitempty"`
	ID  int64 `json:"id,omitempty"`

	ASince int64  `json:"as,omitempty"`
	AAfter string `json:"aa,omitempty"`
	APass  int64  `json:"ap,omitempty"`
	ANext  int64  `json:"an,omitempty"`

	// Via says how the cursor reads (feed.go): viaFeed reads the other
	// hubsync's change listing after Feed, its feed position, and uses
	// none of the fields above; viaSearch searches; viaUnknown has not
	// found out yet.
	Via  int    `json:"v,omitempty"`
	Feed string `json:"f,omitempty"`
}

const cursorPrefix = "hs1."

// ReasonCursorInvalid is a cursor this connector did not make: a definite
// error, since reading it again will not help; the caller starts over.
const ReasonCursorInvalid = "cursor_invalid"

func (p position) encode() string {
	data, _ := json.Marshal(p)
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(data)
}

func decodeCursor(s string) (position, error) {
	var p position
	if s == "" {
		return p, nil
	}
	bad := &connector.Error{Reason: ReasonCursorInvalid, Definite: true,
		Message: "the cursor was not made by the hubspot connector; read from the beginning"}
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return p, bad
	}
	data, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return p, bad
	}
	if err := json.Unmarshal(data, &p); err != nil || p.TS < 0 || p.ID < 0 {
		return position{}, bad
	}
	return p, nil
}

// Keys of Target.Config (or, as a default for every connection,
// Target.Settings) that tune reading. Values are Go durations ("5s").
const (
	// SettingReadOverlap is how far behind the external side's clock the
	// live cursor stays, so that writes whose timestamp is older than
	// their commit, or that reach HubSpot's search index late, are still
	// read; the price is re-reading what changed in that window. 0 trusts
	// timestamps to appear in order. Default DefaultReadOverlap.
	SettingReadOverlap = "read_overlap"
	// SettingArchiveInterval is the least time between two passes over
	// the archived listing; "off" never looks for archives. Default
	// DefaultArchiveInterval; 0 starts a pass on every read.
	SettingArchiveInterval = "archive_interval"
)

// Defaults of the read settings.
const (
	DefaultReadOverlap     = 5 * time.Second
	DefaultArchiveInterval = time.Minute
)

type readOptions struct {
	overlap         time.Duration
	archiveInterval time.Duration // < 0: off
}

func optionsOf(t connector.Target) (readOptions, error) {
	o := readOptions{overlap: DefaultReadOverlap, archiveInterval: DefaultArchiveInterval}
	get := func(key string) string {
		if v := strings.TrimSpace(t.Config[key]); v != "" {
			return v
		}
		return strings.TrimSpace(t.Settings[key])
	}
	bad := func(key, v string) error {
		return &connector.Error{Reason: connector.ReasonAppConfig, Definite: true,
			Message: fmt.Sprintf("the %s setting %q is not a duration such as 5s", key, v)}
	}
	if v := get(SettingReadOverlap); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return o, bad(SettingReadOverlap, v)
		}
		o.overlap = d
	}
	if v := get(SettingArchiveInterval); strings.EqualFold(v, "off") {
		o.archiveInterval = -1
	} else if v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return o, bad(SettingArchiveInterval, v)
		}
		o.archiveInterval = d
	}
	return o, nil
}

package hubspot

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
)

// Reading another hubsync's change listing. When the other side is a
// hubsync it lists the records its change feed names after a feed
// position (hubsync's own route; real HubSpot and older hubs answer it
// 404): creates, updates and archives in one stream, in the order they
// committed. The position is exact, so the reader needs no read_overlap
// and no passes over the archived listing, reads each change about once,
// and a backfill costs one listing call per page, not a search whose
// count grows with what is left. Elsewhere Changes searches (records.go).

// feedPath is the change listing's path, relative to api_url.
const feedPath = "/crm/hubsync/v1/objects/"

// maxFeedLimit is the most entries one listing call reads (the hub's bound).
const maxFeedLimit = 1000

// maxFeedCalls bounds the listing calls of one Changes call that find only
// other object types' changes.
const maxFeedCalls = 5

// How a cursor reads: not yet known (probe the listing), by the change
// listing, or by search.
const (
	viaUnknown = 0
	viaFeed    = 1
	viaSearch  = 2
)

// SettingChangeListing "off" makes the connector search even when the
// other side offers hubsync's change listing; "auto" (the default) uses
// the listing where it answers.
const SettingChangeListing = "change_listing"

type feedPage struct {
	Results  []wireRecord `json:"results"`
	Position text         `json:"position"`
	Paging   *struct {
		Next *struct {
			After text `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// readFeed reads the change listing from pos.Feed, moving it. ok is false
// when the other side has no listing: the caller searches instead.
func (s *session) readFeed(ctx context.Context, pos *position, props []string, limit int) (recs []wireRecord, more, ok bool, err error) {
	for range maxFeedCalls {
		q := url.Values{"limit": {strconv.Itoa(min(max(limit, 1), maxFeedLimit))}, "properties": {strings.Join(props, ",")}}
		if pos.Feed != "" {
			q.Set("after", pos.Feed)
		}
		what := "a change listing of " + s.object
		a, err := s.call(ctx, http.MethodGet, feedPath+url.PathEscape(s.object)+"/changes?"+q.Encode(), nil)
		if err != nil {
			return nil, false, true, err
		}
		switch a.status {
		case http.StatusOK:
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			return nil, false, false, nil
		default:
			return nil, false, true, s.failure(a, what)
		}
		var p feedPage
		if err := s.decodeBy(a, what, func(body []byte) (err error) {
			p, err = decodeFeedPage(body)
			return err
		}); err != nil {
			return nil, false, true, err
		}
		if p.Position == "" {
			return nil, false, true, connector.Transient(connector.ReasonUnreachable,
				"the external app's change listing gave no position; check the api_url setting", nil)
		}
		pos.Feed = string(p.Position)
		more = p.Paging != nil && p.Paging.Next != nil
		if len(p.Results) > 0 || !more {
			return p.Results, more, true, nil
		}
	}
	return nil, true, true, nil
}

// errListingGone is a cursor that reads the other hub's change listing
// finding it gone; the run fails and is retried, and change_listing=off
// makes the connection search instead (from the beginning).
var errListingGone = &connector.Error{Reason: connector.ReasonUnreachable,
	Message: "the other hub's change listing, which this connection reads, answered that it does not exist; it is retried, and the change_listing=off setting makes the connection search instead"}

// useFeed says whether to try the change listing for this cursor: a new
// cursor or one that reads by it, unless the setting turns it off.
func useFeed(t connector.Target, pos position) bool {
	if strings.EqualFold(configValue(t, SettingChangeListing), "off") {
		return false
	}
	switch pos.Via {
	case viaFeed:
		return true
	case viaUnknown:
		// A cursor of an older version searched already.
		return pos == position{}
	}
	return false
}

// configValue reads a connection's setting, else the integration's.
func configValue(t connector.Target, key string) string {
	if v := strings.TrimSpace(t.Config[key]); v != "" {
		return v
	}
	return strings.TrimSpace(t.Settings[key])
}

// maxWait is the longest wait WaitForChanges asks for (the hub's bound).
const maxWait = 25 * time.Second

// waitingCall marks the context of a call the other side may hold: it
// goes without the client's timeout, bounded by the context's deadline.
type waitingCall struct{}

// WaitForChanges waits, up to wait (whole seconds, at most 25), until the
// other hubsync's change feed moves past the cursor's position, with one
// call: moved says it did. ok is false when the cursor does not read a
// change listing (a new cursor, a search, or the listing off), and then
// nothing was asked. The hub calls it between runs so that an idle
// connection learns of a change at once without polling.
func (c *Connector) WaitForChanges(ctx context.Context, t connector.Target, cred connector.Credential, object, cursor string, wait time.Duration) (moved, ok bool, err error) {
	moved, ok, err = c.waitForChanges(ctx, t, cred, object, cursor, wait)
	return moved, ok, redact(err, secrets(cred)...)
}

// OneChangeStream is true: the change listing is one feed for every object
// type, so waiting on one object's cursor hears changes to all of them.
func (c *Connector) OneChangeStream() bool { return true }

func (c *Connector) waitForChanges(ctx context.Context, t connector.Target, cred connector.Credential, object, cursor string, wait time.Duration) (bool, bool, error) {
	pos, err := decodeCursor(cursor)
	if err != nil || pos.Via != viaFeed || !useFeed(t, pos) {
		return false, false, nil
	}
	s, err := c.session(t, cred, object)
	if err != nil {
		return false, true, err
	}
	wait = min(wait, maxWait)
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, waitingCall{}, true), wait+DefaultTimeout)
	defer cancel()
	q := url.Values{"limit": {"1"}, "properties": {propID}, "wait": {strconv.Itoa(int(wait / time.Second))}}
	if pos.Feed != "" {
		q.Set("after", pos.Feed)
	}
	what := "a change listing of " + s.object
	a, err := s.call(ctx, http.MethodGet, feedPath+url.PathEscape(s.object)+"/changes?"+q.Encode(), nil)
	if err != nil {
		return false, true, err
	}
	switch a.status {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return false, false, nil
	default:
		return false, true, s.failure(a, what)
	}
	var p feedPage
	if err := s.decode(a, what, &p); err != nil {
		return false, true, err
	}
	return len(p.Results) > 0 || string(p.Position) != cmp.Or(pos.Feed, "0"), true, nil
}

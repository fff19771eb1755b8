package api

import (
	"cmp"
	"net/http"
	"strconv"
	"time"
)

// ChangesPath is the change listing of an object type: hubsync's own route
// beside the HubSpot-compatible ones (HubSpot answers it 404), with which
// another hubsync reads this hub's changes exactly and in order.
//
// GET ChangesPath?after=<position>&limit=<n>&properties=a,b reads up to
// limit entries (default 100, at most 1000) of the hub's change feed after
// the position ("" or absent: from the beginning) and answers the records
// of the object type they name, as they are now, once each, in the order
// of their last change read:
// creates, updates and archives (archived: true, with archivedAt) in one
// stream, each with the properties asked for, as a read returns them.
//
//	{"results": [record, ...], "position": "1234",
//	 "paging": {"next": {"after": "1234"}}}
//
// wait=<seconds> (at most 25) asks the hub, when nothing at all follows the
// position, to hold the answer until the feed moves or the time is up, so
// that a reader learns of a change at once with one call in that time.
//
// position is where to read on from, given also when results is empty
// (entries of other object types move it too); paging is present when the
// page read limit entries, so more may wait. The route takes the scopes
// of a read of the object type, like search.
const ChangesPath = "/crm/hubsync/v1/objects/{type}/changes"

type changesJSON struct {
	Results  []recordJSON `json:"results"`
	Position string       `json:"position"`
	Paging   *pagingJSON  `json:"paging,omitempty"`
}

func (s *Server) changes(c call) (int, any, error) {
	limit, err := intParam(c.r, "limit")
	if err != nil {
		return 0, nil, err
	}
	wait, err := waitParam(c.r)
	if err != nil {
		return 0, nil, err
	}
	after := c.r.URL.Query().Get("after")
	page, err := s.crm.Changed(c.r.Context(), c.ot.Name, after, limit)
	if err != nil {
		return 0, nil, err
	}
	if wait > 0 && page.Position == cmp.Or(after, "0") && !page.More {
		seq, _ := strconv.ParseInt(page.Position, 10, 64)
		s.feed.wait(c.r.Context(), seq, wait, s.Stopping)
		if page, err = s.crm.Changed(c.r.Context(), c.ot.Name, after, limit); err != nil {
			return 0, nil, err
		}
	}
	out := changesJSON{Results: toJSONs(c.ot, page.Records, propertyList(c.r, "properties")), Position: page.Position}
	if page.More {
		out.Paging = &pagingJSON{Next: &nextJSON{After: page.Position}}
	}
	return http.StatusOK, out, nil
}

// waitParam reads wait, in whole seconds, capped at maxFeedWait.
func waitParam(r *http.Request) (time.Duration, error) {
	n, err := intParam(r, "wait")
	if err != nil || n < 0 {
		return 0, badRequest("INVALID_WAIT", "wait must be a number of seconds, not "+r.URL.Query().Get("wait"))
	}
	return min(time.Duration(n)*time.Second, maxFeedWait), nil
}

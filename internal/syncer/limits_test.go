package syncer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/syncer"
)

// hubspotLimits stands before hub A and behaves as real HubSpot's public
// documentation says its API does under load: a cap on calls per window
// with 429, Retry-After and the X-HubSpot-RateLimit headers, a slower cap
// on search, and a ceiling on how deep a search may page. The numbers are
// scaled down so that a test reaches them quickly.
type hubspotLimits struct {
	next                        http.Handler
	perWindow, searchPerWindow  int
	window                      time.Duration
	searchCeiling               int
	mu                          sync.Mutex
	calls, searches             []time.Time
	tooMany, tooDeep, total     int
	worstWindow, worstSearchWin int
}

func (h *hubspotLimits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	search := strings.HasSuffix(r.URL.Path, "/search")
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if !strings.HasPrefix(r.URL.Path, "/oauth/") {
		if ok, wait := h.admit(search); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			w.Header().Set("X-HubSpot-RateLimit-Max", strconv.Itoa(h.perWindow))
			w.Header().Set("X-HubSpot-RateLimit-Remaining", "0")
			w.Header().Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.Itoa(int(h.window.Milliseconds())))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"status":"error","message":"You have reached your secondly limit.","category":"RATE_LIMITS","correlationId":"00000000-0000-0000-0000-000000000000"}`)
			return
		}
	}
	if search {
		var q struct {
			After string `json:"after"`
			Limit int    `json:"limit"`
		}
		_ = json.Unmarshal(body, &q)
		after, _ := strconv.Atoi(q.After)
		if after+q.Limit > h.searchCeiling {
			h.mu.Lock()
			h.tooDeep++
			h.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"error","message":"paging past %d results is not supported","category":"VALIDATION_ERROR"}`, h.searchCeiling)
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

// admit counts a call and says whether the window has room for it.
func (h *hubspotLimits) admit(search bool) (bool, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.total++
	h.calls = append(h.calls, now)
	recent := inWindow(h.calls, now, h.window)
	h.worstWindow = max(h.worstWindow, recent)
	if recent > h.perWindow {
		h.tooMany++
		return false, h.window
	}
	if search {
		h.searches = append(h.searches, now)
		n := inWindow(h.searches, now, h.window)
		h.worstSearchWin = max(h.worstSearchWin, n)
		if n > h.searchPerWindow {
			h.tooMany++
			return false, h.window
		}
	}
	return true, 0
}

func inWindow(ts []time.Time, now time.Time, window time.Duration) int {
	n := 0
	for i := len(ts) - 1; i >= 0 && now.Sub(ts[i]) < window; i-- {
		n++
	}
	return n
}

func TestSyncWithinHubSpotLimits(t *testing.T) {
	t.Parallel()
	limits := &hubspotLimits{perWindow: 20, searchPerWindow: 10, window: time.Second, searchCeiling: 500}
	front := func(a http.Handler) string {
		limits.next = a
		srv := httptest.NewServer(limits)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	// The connection paces itself below the search limit, the tighter one.
	tb := setupBehind(t, hubtest.SQLite, syncer.ObjectSyncInput{},
		connection.NewConnection{AuthMode: connection.ModeApp, Config: map[string]string{"rate_limit": "9/1s"}}, front)
	const n = 1500
	seed(t, tb.a, "a", n)
	seed(t, tb.b, "b", 300)
	tb.run(t)
	a, b := byEmail(t, tb.a), byEmail(t, tb.b)
	if len(a) != n+300 || len(b) != n+300 {
		t.Fatalf("after the sync A has %d and B %d contacts, want %d each", len(a), len(b), n+300)
	}
	limits.mu.Lock()
	defer limits.mu.Unlock()
	if limits.tooMany != 0 || limits.tooDeep != 0 {
		t.Fatalf("%d calls over the rate limit and %d searches past the ceiling (worst window %d calls, %d searches)",
			limits.tooMany, limits.tooDeep, limits.worstWindow, limits.worstSearchWin)
	}
	t.Logf("%d calls to the limited API, at most %d and %d searches in any second", limits.total, limits.worstWindow, limits.worstSearchWin)
}

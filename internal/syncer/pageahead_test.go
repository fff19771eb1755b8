package syncer_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// TestAppPageReadWhileHubWrites: while B writes a page of A's changes, the
// next page is already asked of A. The fault hook holds B's first hub write
// open until A has been asked for the page after it; a run that read pages
// only in turn would never ask, and the hook gives up.
func TestAppPageReadWhileHubWrites(t *testing.T) {
	t.Parallel()
	var listings atomic.Int64
	asked := make(chan struct{}, 100)
	front := func(a http.Handler) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			q := req.URL.Query()
			// Reads of the listing, not an idle connection's wait.
			if strings.HasSuffix(req.URL.Path, "/changes") && q.Get("wait") == "" {
				listings.Add(1)
				select {
				case asked <- struct{}{}:
				default:
				}
			}
			a.ServeHTTP(w, req)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	var once sync.Once
	var overlapped bool
	fault := func(point string) error {
		if point != "in_hub_tx" {
			return nil
		}
		once.Do(func() {
			deadline := time.After(10 * time.Second)
			for listings.Load() < 2 {
				select {
				case <-asked:
				case <-deadline:
					return
				}
			}
			overlapped = true
		})
		return nil
	}
	tb := setupBehind(t, hubtest.SQLite, syncer.ObjectSyncInput{}, connectionApp(), front,
		hub.WithSyncer(syncer.WithBatch(1), syncer.WithFault(fault)))
	seed(t, tb.a, "a", 3)
	tb.run(t)
	if !overlapped {
		t.Fatalf("A was not asked for the next page while B wrote the first (the run made %d listing calls in all)", listings.Load())
	}
	if got := len(byEmail(t, tb.b)); got != 3 {
		t.Fatalf("B has %d contacts, want 3", got)
	}
}

// TestPageReadAheadAfterAppWrite: a step that writes to A may make the
// page read ahead stale. Here x is held back from A by the hub filter while
// B edits it; two edits of x on A follow, one page each. The first page's
// merge sends B's firstname to A; the second, read ahead before that write,
// may still show A's old firstname, which must not be taken for an edit on
// A that reverts B's. (The engine reads such a page again; the values
// staged before an update would also tell the old firstname for what it is.)
func TestPageReadAheadAfterAppWrite(t *testing.T) {
	t.Parallel()
	tb := setupConnection(t, hubtest.SQLite, syncer.ObjectSyncInput{
		HubFilters: []store.Filter{{Property: "lifecyclestage", Operator: "neq", Value: "other"}},
	}, connectionApp(), hub.WithSyncer(syncer.WithBatch(1)))
	x := create(t, tb.b, map[string]string{"email": "x@example.com", "firstname": "F0", "lastname": "L0"})
	tb.run(t)
	onA, err := strconv.ParseInt(byEmail(t, tb.a)["x@example.com"]["hs_object_id"], 10, 64)
	if err != nil {
		t.Fatalf("x did not reach A: %v", byEmail(t, tb.a))
	}
	update(t, tb.b, x.ID, map[string]string{"firstname": "F1", "lifecyclestage": "other"})
	update(t, tb.a, onA, map[string]string{"lastname": "L1"})
	update(t, tb.a, onA, map[string]string{"lastname": "L2"})
	tb.run(t)
	tb.run(t)
	for side, env := range map[string]*hubtest.Env{"A": tb.a, "B": tb.b} {
		got := byEmail(t, env)["x@example.com"]
		if got["firstname"] != "F1" || got["lastname"] != "L2" {
			t.Errorf("x on %s is %s %s, want F1 L2", side, got["firstname"], got["lastname"])
		}
	}
}

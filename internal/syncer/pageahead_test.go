package syncer_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
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

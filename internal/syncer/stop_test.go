package syncer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// A break made while a run is under way must stop its writes at once: of
// the records still waiting, none land after the break commits (beyond the
// one external batch already on its way), the run ends held with the
// reason, and once the connection is repaired the rest arrive exactly once.

const (
	stopStep    = 500 // records a step of the engine reads at most
	connectorAt = "connector@b.example"
)

// breakCase is one way a connection stops being allowed to sync, with what
// it leaves the connection as and what repairs it (nil: nothing does).
type breakCase struct {
	name           string
	make           func(t *testing.T, tb *testBundle)
	status, reason string
	repair         func(t *testing.T, tb *testBundle)
}

// records is how many records wait when the break comes: 6,000 for a
// removal, as it was found, 1,500 for the others.
func (bc breakCase) records() int {
	if bc.name == "removed" {
		return 6000
	}
	return 1500
}

func breakCases() []breakCase {
	ctx := context.Background()
	// A break may be made on an HTTP handler's goroutine, where t.Fatal
	// must not be called: a failure is reported, and the test's checks
	// then fail.
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Error(err)
		}
	}
	userChange := func(change func(context.Context, string) (store.User, error)) func(*testing.T, *testBundle) {
		return func(t *testing.T, tb *testBundle) {
			_, err := change(ctx, connectorAt)
			must(t, err)
		}
	}
	permissions := func(access string) func(*testing.T, *testBundle) {
		return func(t *testing.T, tb *testBundle) {
			_, err := tb.b.Hub.Identity.UpdateUser(ctx, connectorAt, identity.UserChanges{Permissions: map[string]string{"contacts": access}})
			must(t, err)
		}
	}
	return []breakCase{
		{"removed", func(t *testing.T, tb *testBundle) { userChange(tb.b.Hub.Identity.Remove)(t, tb) },
			connection.StatusNeedsReconnect, connection.ReasonUserRemoved,
			func(t *testing.T, tb *testBundle) {
				tb.b.User(t, "other@b.example", identity.RoleAdmin, nil)
				reconnect(t, tb, "other@b.example")
			}},
		{"deactivated", func(t *testing.T, tb *testBundle) { userChange(tb.b.Hub.Identity.Deactivate)(t, tb) },
			connection.StatusNeedsReconnect, connection.ReasonUserDeactivated,
			func(t *testing.T, tb *testBundle) { userChange(tb.b.Hub.Identity.Reactivate)(t, tb) }},
		{"password_changed", func(t *testing.T, tb *testBundle) {
			pw := "a new long password"
			_, err := tb.b.Hub.Identity.UpdateUser(ctx, connectorAt, identity.UserChanges{Password: &pw})
			must(t, err)
		}, connection.StatusNeedsReconnect, connection.ReasonCredentialsChanged,
			func(t *testing.T, tb *testBundle) { reconnect(t, tb, "") }},
		{"permission_cut", permissions("view"), connection.StatusDegraded, connection.ReasonPermissionsReduced, permissions("edit")},
		{"paused", func(t *testing.T, tb *testBundle) {
			_, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, tb.conn.ID)
			must(t, err)
		}, connection.StatusPaused, connection.ReasonPausedByUser,
			func(t *testing.T, tb *testBundle) {
				_, err := tb.b.Hub.Connections.Resume(ctx, tb.admin, tb.conn.ID)
				must(t, err)
			}},
		{"deleted", func(t *testing.T, tb *testBundle) { must(t, tb.b.Hub.Connections.Delete(ctx, tb.admin, tb.conn.ID)) },
			connection.StatusDisconnected, connection.ReasonDeletedByUser, nil},
	}
}

// reconnect repairs tb's connection through A's consent page, as owner
// ("" for the same connector user).
func reconnect(t *testing.T, tb *testBundle, owner string) {
	t.Helper()
	started, err := tb.b.Hub.Connections.Reconnect(context.Background(), tb.admin, tb.conn.ID, connection.Reconnection{Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	browser := tb.a.Browser()
	back := browser.Consent(t, started.AuthorizeURL, "approver@a.example")
	if status, _, page := browser.Page(t, "GET", back.String(), nil); status != http.StatusOK {
		t.Fatalf("reconnect callback: %d %s", status, page)
	}
}

// TestBreakStopsRunIntoHub makes each break while a run brings external
// records into the hub, right after its second step committed.
func TestBreakStopsRunIntoHub(t *testing.T) {
	for _, backend := range hubtest.Backends {
		for _, bc := range breakCases() {
			t.Run(string(backend)+"/"+bc.name, func(t *testing.T) {
				t.Parallel()
				n := bc.records()
				var tb *testBundle
				var steps atomic.Int32
				landed := -1
				fault := func(point string) error {
					// Every step passes here before it writes: the third
					// finds two steps' records landed.
					if point == "before_app_write" && steps.Add(1) == 3 {
						landed = len(byEmail(t, tb.b))
						bc.make(t, tb)
					}
					return nil
				}
				tb = setupConnection(t, backend, syncer.ObjectSyncInput{}, connection.NewConnection{Owner: connectorAt},
					hub.WithSyncer(syncer.WithBatch(stopStep), syncer.WithFault(fault)))
				seed(t, tb.a, "a", n)

				stopped := tb.stoppedRun(t, bc)
				if got := len(byEmail(t, tb.b)); landed <= 0 || got != landed {
					t.Fatalf("%d contacts reached the hub, want the %d that had when the break came", got, landed)
				}
				if stopped.Counts["contacts.to_hub.created"] != landed {
					t.Fatalf("the stopped run counted %v", stopped.Counts)
				}
				if bc.repair == nil {
					return
				}
				bc.repair(t, tb)
				caughtUp := tb.run(t)
				if got := len(byEmail(t, tb.b)); got != n {
					t.Fatalf("%d contacts on the hub after the repair, want %d", got, n)
				}
				if got := caughtUp.Counts["contacts.to_hub.created"]; got != n-landed {
					t.Fatalf("the catch-up created %d, want the %d the break held back, once (%v)", got, n-landed, caughtUp.Counts)
				}
			})
		}
	}
}

// TestBreakStopsRunToApp makes each break while the 6th batch of a run's
// external writes is on its way to the external app: that batch may land,
// none after it.
func TestBreakStopsRunToApp(t *testing.T) {
	for _, backend := range hubtest.Backends {
		for _, bc := range breakCases() {
			t.Run(string(backend)+"/"+bc.name, func(t *testing.T) {
				t.Parallel()
				n := bc.records()
				var tb *testBundle
				// The break commits while the 6th batch is on its way; it
				// may land, nothing after it may.
				front := onWriteBatch(t, 6, func() { bc.make(t, tb) })
				tb = setupBehind(t, backend, syncer.ObjectSyncInput{}, connection.NewConnection{Owner: connectorAt}, front,
					hub.WithSyncer(syncer.WithBatch(stopStep)))
				seed(t, tb.b, "b", n)

				tb.stoppedRun(t, bc)
				// Five batches of 100 had landed; the sixth was on its way
				// (a break that revokes the grant refuses it too).
				if got := len(byEmail(t, tb.a)); got != 500 && got != 600 {
					t.Fatalf("%d contacts reached the external app, want the 500 before the break, and at most the batch on its way", got)
				}
				if bc.repair == nil {
					return
				}
				bc.repair(t, tb)
				tb.run(t)
				if got := len(byEmail(t, tb.a)); got != n {
					t.Fatalf("%d contacts on the external app after the repair, want %d", got, n)
				}
				if got := len(byEmail(t, tb.b)); got != n {
					t.Fatalf("%d contacts on the hub after the repair, want %d", got, n)
				}
			})
		}
	}
}

// onWriteBatch is a front for the external hub that calls do when the
// nth batch write reaches it, before that batch is served.
func onWriteBatch(t *testing.T, nth int32, do func()) func(http.Handler) string {
	var writes atomic.Int32
	return func(a http.Handler) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/batch/") && !strings.HasSuffix(r.URL.Path, "/read") &&
				writes.Add(1) == nth {
				do()
			}
			a.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// stoppedRun runs tb's connection through the break bc makes mid-run and
// checks how the run and the connection end.
func (tb *testBundle) stoppedRun(t *testing.T, bc breakCase) store.SyncRun {
	t.Helper()
	ctx := context.Background()
	runErr := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "manual")
	if !errors.Is(runErr, connection.ErrHeld) {
		t.Fatalf("the run under way when the connection broke ended with %v, want its writes stopped", runErr)
	}
	runs, err := tb.b.Hub.Syncer.Runs(ctx, tb.conn.ID, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	run := runs[0]
	c, err := tb.b.Hub.Connections.Get(ctx, tb.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != bc.status || c.Reason != bc.reason {
		t.Fatalf("the connection is %s/%s, want %s/%s", c.Status, c.Reason, bc.status, bc.reason)
	}
	if run.Status != syncer.RunHeld || !strings.Contains(run.Error, c.ReasonMessage) {
		t.Fatalf("the run ended %s with %q, want held with %q", run.Status, run.Error, c.ReasonMessage)
	}
	if stop := (*connection.StopError)(nil); errors.As(runErr, &stop) && stop.Reason != c.Reason {
		t.Fatalf("the writes stopped for %q, but the connection shows %q", stop.Reason, c.Reason)
	}
	if run.FinishedAt.IsZero() {
		t.Fatal("the stopped run has no end time")
	}
	return run
}

func TestBlockedObjectIsLeftAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := setupConnection(t, hubtest.SQLite, syncer.ObjectSyncInput{}, connection.NewConnection{Owner: connectorAt})
	seed(t, tb.a, "a", 10)
	if _, err := tb.b.Hub.Identity.UpdateUser(ctx, connectorAt, identity.UserChanges{Permissions: map[string]string{"contacts": "view"}}); err != nil {
		t.Fatal(err)
	}
	err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "manual")
	if err != nil {
		t.Fatalf("a run of a connection degraded on one object: %v", err)
	}
	if got := len(byEmail(t, tb.b)); got != 0 {
		t.Fatalf("%d contacts written as a connector user who may only view contacts", got)
	}
	if _, err := tb.b.Hub.Identity.UpdateUser(ctx, connectorAt, identity.UserChanges{Permissions: map[string]string{"contacts": "edit"}}); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	if got := len(byEmail(t, tb.b)); got != 10 {
		t.Fatalf("%d contacts after the permission came back, want 10", got)
	}
}

// TestSyncChangeStopsExternalWrites disables the object sync while the 6th
// batch of a run's external writes is on its way: as with a break, that
// batch may land and none after it; enabled again, the rest arrive once.
func TestSyncChangeStopsExternalWrites(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			const n = 1500
			var tb *testBundle
			var syncID int64
			off, on := false, true
			front := onWriteBatch(t, 6, func() {
				// On the handler's goroutine: t.Error, not t.Fatal.
				if _, err := tb.b.Hub.Syncer.UpdateObjectSync(context.Background(), tb.admin, tb.conn.ID, syncID, syncer.ObjectSyncChange{Enabled: &off}); err != nil {
					t.Error(err)
				}
			})
			tb = setupBehind(t, backend, syncer.ObjectSyncInput{}, connectionApp(), front, hub.WithSyncer(syncer.WithBatch(stopStep)))
			syncID = tb.syncID(t)
			seed(t, tb.b, "b", n)

			ctx := context.Background()
			err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "manual")
			runs, _ := tb.b.Hub.Syncer.Runs(ctx, tb.conn.ID, 1)
			if !errors.Is(err, syncer.ErrHeld) || len(runs) != 1 || runs[0].Status != syncer.RunHeld ||
				!strings.Contains(runs[0].Error, "writes stopped: object sync") || strings.Contains(runs[0].Error, "not usable") {
				t.Fatalf("a run whose object sync was disabled under it: %v, recorded %+v", err, runs)
			}
			if got := len(byEmail(t, tb.a)); got != 500 && got != 600 {
				t.Fatalf("%d contacts reached the external app, want the 500 before the change, and at most the batch on its way", got)
			}
			tb.change(t, syncID, syncer.ObjectSyncChange{Enabled: &on})
			tb.run(t)
			if got := len(byEmail(t, tb.a)); got != n {
				t.Fatalf("%d contacts on the external app once enabled again, want %d", got, n)
			}
		})
	}
}

// TestRetryLeavesAloneWhatARunWould: a quarantined record is not written
// by a retry while its object sync is disabled, or while the connector
// user may not edit its object; once both are back, the retry delivers it.
func TestRetryLeavesAloneWhatARunWould(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := setupConnection(t, hubtest.SQLite, syncer.ObjectSyncInput{}, connection.NewConnection{Owner: connectorAt})
	ada := create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	syncID := tb.syncID(t)
	var rerr store.RecordError
	err := tb.b.Hub.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		rerr, err = tx.PutRecordError(ctx, store.RecordError{SyncID: syncID, Side: store.SideApp, HubID: ada.ID,
			Reason: "record_rejected", Message: "refused", CreatedAt: time.Now(), UpdatedAt: time.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	permissions := func(access string) {
		t.Helper()
		if _, err := tb.b.Hub.Identity.UpdateUser(ctx, connectorAt, identity.UserChanges{Permissions: map[string]string{"contacts": access}}); err != nil {
			t.Fatal(err)
		}
	}
	off, on := false, true
	tb.change(t, syncID, syncer.ObjectSyncChange{Enabled: &off})
	if err := tb.b.Hub.Syncer.Retry(ctx, tb.admin, tb.conn.ID, rerr.ID); !errors.Is(err, syncer.ErrHeld) || !strings.Contains(err.Error(), "is disabled") {
		t.Errorf("retry in a disabled object sync: %v", err)
	}
	tb.change(t, syncID, syncer.ObjectSyncChange{Enabled: &on})
	permissions("view")
	var stop *connection.StopError
	if err := tb.b.Hub.Syncer.Retry(ctx, tb.admin, tb.conn.ID, rerr.ID); !errors.As(err, &stop) || stop.Reason != connection.ReasonPermissionsReduced {
		t.Errorf("retry as a connector user who may only view contacts: %v", err)
	}
	if got := len(byEmail(t, tb.a)); got != 0 {
		t.Fatalf("%d contacts written by retries that should have been held", got)
	}
	permissions("edit")
	if err := tb.b.Hub.Syncer.Retry(ctx, tb.admin, tb.conn.ID, rerr.ID); err != nil {
		t.Fatalf("retry once allowed again: %v", err)
	}
	if got := byEmail(t, tb.a); got["ada@example.com"]["firstname"] != "Ada" {
		t.Fatalf("the retry did not deliver the record: %v", got)
	}
}

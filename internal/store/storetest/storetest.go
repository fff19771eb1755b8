// Package storetest is the conformance suite every store.Store backend runs.
// A backend is correct when Run passes against it; the suite knows nothing of
// SQL, only of what the store.Tx contract promises.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hubsync/hubsync/internal/store"
)

// Run runs the suite. open must return a new, empty, migrated store on each
// call and close it when t ends; subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Meta", testMeta},
		{"Account", testAccount},
		{"Users", testUsers},
		{"UserEmailUnique", testUserEmailUnique},
		{"UserReadModifyWrite", testUserReadModifyWrite},
		{"IdentityEvents", testIdentityEvents},
		{"PrivateApps", testPrivateApps},
		{"OAuthApps", testOAuthApps},
		{"OAuthGrants", testOAuthGrants},
		{"OAuthTokens", testOAuthTokens},
		{"DeactivateGrantTokens", testDeactivateGrantTokens},
		{"DeactivateTokenRace", testDeactivateTokenRace},
		{"TokenGrant", testTokenGrant},
		{"AuthGeneration", testAuthGeneration},
		{"WebSessions", testWebSessions},
		{"SignInCounters", testSignInCounters},
		{"SignInCounterRace", testSignInCounterRace},
		{"SignInCounterSweep", testSignInCounterSweep},
		{"AdminTokens", testAdminTokens},
		{"Properties", testProperties},
		{"InsertRecords", testInsertRecords},
		{"UpdateRecords", testUpdateRecords},
		{"ListRecords", testListRecords},
		{"RecordsByValue", testRecordsByValue},
		{"EnsureIndex", testEnsureIndex},
		{"EnsureIndexOverDuplicates", testEnsureIndexOverDuplicates},
		{"Search", testSearch},
		{"SearchSortAndPage", testSearchSortAndPage},
		{"SearchText", testSearchText},
		{"Integrations", testIntegrations},
		{"Connections", testConnections},
		{"ConnectionReadModifyWrite", testConnectionReadModifyWrite},
		{"ConnectionGeneration", testConnectionGeneration},
		{"ConnectionGenerationHeld", testConnectionGenerationHeld},
		{"ConnectAttempts", testConnectAttempts},
		{"TakeConnectAttemptRace", testTakeConnectAttemptRace},
		{"AuditEvents", testAuditEvents},
		{"ConnectionReviews", testConnectionReviews},
		{"Webhooks", testWebhooks},
		{"Deliveries", testDeliveries},
		{"DueDeliveriesConcurrent", testDueDeliveriesConcurrent},
		{"DueDeliveriesWorkers", testDueDeliveriesWorkers},
		{"PendingRevokes", testPendingRevokes},
		{"DuePendingRevokesWorkers", testDuePendingRevokesWorkers},
		{"ObjectSyncs", testObjectSyncs},
		{"Links", testLinks},
		{"LinkUniqueness", testLinkUniqueness},
		{"PutLinksReplace", testPutLinksReplace},
		{"PutLinksConcurrent", testPutLinksConcurrent},
		{"PutLinksMoveMany", testPutLinksMoveMany},
		{"SetLinkExternalIDs", testSetLinkExternalIDs},
		{"ForgetSnapshotFields", testForgetSnapshotFields},
		{"SyncCursors", testSyncCursors},
		{"SyncRuns", testSyncRuns},
		{"SyncRunTotals", testSyncRunTotals},
		{"RecordErrors", testRecordErrors},
		{"DeleteObjectSync", testDeleteObjectSync},
		{"Changes", testChanges},
		{"ChangeRefs", testChangeRefs},
		{"ChangeSources", testChangeSources},
		{"PropertyChanges", testPropertyChanges},
		{"ChangeFeedConcurrentWriters", testChangeFeedConcurrentWriters},
		{"Rollback", testRollback},
		{"ViewIsReadOnly", testViewIsReadOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

// opts compares stored values: times must be equal and in UTC (cmp would
// otherwise accept any location through Time.Equal), and nil and empty
// collections are the same.
var opts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() }),
	cmpopts.EquateEmpty(),
}

// stored is how a time reads back: whole milliseconds in UTC, zero kept zero.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// when is a time with sub-millisecond digits in a zone other than UTC, so a
// backend that keeps either shows up.
func when(offset time.Duration) time.Time {
	base := time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("UTC+2", 2*60*60))
	return base.Add(offset)
}

func update(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.View(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// get returns what fn reads in a read-only transaction.
func get[T any](t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) (T, error)) T {
	t.Helper()
	var v T
	view(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		v, err = fn(ctx, tx)
		return err
	})
	return v
}

// put returns what fn writes in a committed transaction.
func put[T any](t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) (T, error)) T {
	t.Helper()
	var v T
	update(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		v, err = fn(ctx, tx)
		return err
	})
	return v
}

// wantErr runs fn in its own write transaction, which a failing statement may
// abort, and checks that it fails with target.
func wantErr(t *testing.T, s store.Store, target error, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
	if !errors.Is(err, target) {
		t.Errorf("got error %v, want %v", err, target)
	}
}

// wantViewErr is wantErr for reads.
func wantViewErr(t *testing.T, s store.Store, target error, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	err := s.View(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
	if !errors.Is(err, target) {
		t.Errorf("got error %v, want %v", err, target)
	}
}

// wantOneWins runs fn in workers transactions at once and checks that
// exactly one commits while the others fail with ErrNotFound. fn's write is
// held open a little before commit, so the others wait on it rather than
// follow it.
func wantOneWins(t *testing.T, s store.Store, workers int, what string, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	start := make(chan struct{})
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ctx := t.Context()
			<-start
			errs[w] = s.Update(ctx, func(tx store.Tx) error {
				if err := fn(ctx, tx); err != nil {
					return err
				}
				time.Sleep(5 * time.Millisecond)
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: %v, want nil or ErrNotFound", what, err)
		}
	}
	if won != 1 {
		t.Errorf("%s: %d of %d racing calls succeeded, want exactly 1", what, won, workers)
	}
}

// updateConcurrently runs fn in rounds transactions on each of workers
// goroutines at once, and fails t if any of them fails.
func updateConcurrently(t *testing.T, s store.Store, workers, rounds int, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	concurrently(t, workers, func(ctx context.Context) error {
		for range rounds {
			if err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantEachClaimedOnce runs workers that each repeat claim, in a write
// transaction of its own, until it claims nothing, as replicas working a
// queue do, and checks that each of the n rows was claimed exactly once.
// claim takes due rows, settles them and returns their ids.
func wantEachClaimedOnce(t *testing.T, s store.Store, workers, n int, claim func(ctx context.Context, tx store.Tx) ([]int64, error)) {
	t.Helper()
	var mu sync.Mutex
	claimed := map[int64]int{}
	concurrently(t, workers, func(ctx context.Context) error {
		for {
			var ids []int64
			err := s.Update(ctx, func(tx store.Tx) (err error) {
				ids, err = claim(ctx, tx)
				return err
			})
			if err != nil || len(ids) == 0 {
				return err
			}
			mu.Lock()
			for _, id := range ids {
				claimed[id]++
			}
			mu.Unlock()
		}
	})
	if len(claimed) != n {
		t.Errorf("%d of %d rows claimed", len(claimed), n)
	}
	for id, times := range claimed {
		if times != 1 {
			t.Errorf("row %d claimed %d times", id, times)
		}
	}
}

// concurrently runs work on workers goroutines at once, and fails t if any
// of them fails.
func concurrently(t *testing.T, workers int, work func(ctx context.Context) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			if err := work(t.Context()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}
}

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

func storedRevoke(r store.PendingRevoke) store.PendingRevoke {
	r.NextAttemptAt, r.CreatedAt = stored(r.NextAttemptAt), stored(r.CreatedAt)
	return r
}

func createRevokes(t *testing.T, s store.Store, in ...store.PendingRevoke) []store.PendingRevoke {
	t.Helper()
	var out []store.PendingRevoke
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range in {
			got, err := tx.CreatePendingRevoke(ctx, r)
			if err != nil {
				return err
			}
			r.ID = got.ID
			if diff := cmp.Diff(storedRevoke(r), got, opts); diff != "" {
				t.Errorf("CreatePendingRevoke does not return the stored value (-stored +returned):\n%s", diff)
			}
			if len(out) > 0 && r.ID <= out[len(out)-1].ID {
				t.Fatalf("pending revoke id %d after %d: want increasing", r.ID, out[len(out)-1].ID)
			}
			out = append(out, storedRevoke(r))
		}
		return nil
	})
	return out
}

func testPendingRevokes(t *testing.T, s store.Store) {
	const c1, c2 = 1, 2
	pending := func(conn int64, next time.Time) store.PendingRevoke {
		return store.PendingRevoke{IntegrationID: 7, ConnectionID: conn, Credential: sealed(fmt.Sprint("credential ", conn, next)),
			Cause: store.RevokeReplaced, NextAttemptAt: next, CreatedAt: when(0)}
	}
	r := createRevokes(t, s,
		pending(c1, when(2*time.Minute)),
		pending(c2, when(time.Minute)),
		// Due at the same time as the one before: the id breaks the tie.
		store.PendingRevoke{IntegrationID: 8, ConnectionID: c1, Credential: sealed("deleted"), Cause: store.RevokeDeleted, Attempts: 3,
			NextAttemptAt: when(time.Minute), LastError: "external_unreachable: ü \"503\"", CreatedAt: when(time.Second)},
		// Due from the start.
		pending(c1, time.Time{}),
		// Of a connection never made.
		store.PendingRevoke{IntegrationID: 8, Credential: sealed("unused"), Cause: store.RevokeUnused,
			NextAttemptAt: when(3 * time.Minute), CreatedAt: when(0)},
	)

	one := func(id int64) func(ctx context.Context, tx store.Tx) (store.PendingRevoke, error) {
		return func(ctx context.Context, tx store.Tx) (store.PendingRevoke, error) { return tx.PendingRevoke(ctx, id) }
	}
	of := func(conn int64) func(ctx context.Context, tx store.Tx) ([]store.PendingRevoke, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.PendingRevoke, error) {
			return tx.PendingRevokes(ctx, conn)
		}
	}
	due := func(now time.Time, limit int) func(ctx context.Context, tx store.Tx) ([]store.PendingRevoke, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.PendingRevoke, error) {
			return tx.DuePendingRevokes(ctx, now, limit)
		}
	}
	wantRead(t, s, "PendingRevoke", r[2], one(r[2].ID))
	wantReadErr(t, s, "PendingRevoke of a missing id", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PendingRevoke(ctx, r[4].ID+1)
		return err
	})
	wantRead(t, s, "PendingRevokes(c1)", []store.PendingRevoke{r[0], r[2], r[3]}, of(c1))
	wantRead(t, s, "PendingRevokes(0)", r, of(0))
	wantRead(t, s, "PendingRevokes of a connection without any", nil, of(3))
	for _, tc := range []struct {
		now   time.Time
		limit int
		want  []store.PendingRevoke
	}{
		{when(30 * time.Minute), 10, []store.PendingRevoke{r[3], r[1], r[2], r[0], r[4]}},
		{when(30 * time.Minute), 2, []store.PendingRevoke{r[3], r[1]}},
		{when(30 * time.Minute), 0, []store.PendingRevoke{r[3], r[1], r[2], r[0], r[4]}},
		// Due at now itself, to the millisecond.
		{when(time.Minute), 10, []store.PendingRevoke{r[3], r[1], r[2]}},
		{when(time.Minute - time.Millisecond), 10, []store.PendingRevoke{r[3]}},
	} {
		wantRead(t, s, fmt.Sprintf("DuePendingRevokes(%v, %d)", tc.now, tc.limit), tc.want, due(tc.now, tc.limit))
	}

	// Every mutable field changes: a retry is no longer due.
	retry := r[3]
	retry.Credential, retry.Attempts, retry.NextAttemptAt, retry.LastError = sealed("resealed"), 1, when(time.Hour), "rate_limited: wait"
	retry = storedRevoke(retry)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePendingRevoke(ctx, retry) })
	wantRead(t, s, "PendingRevoke after UpdatePendingRevoke", retry, one(retry.ID))
	wantRead(t, s, "DuePendingRevokes after UpdatePendingRevoke", []store.PendingRevoke{r[1], r[2], r[0], r[4]}, due(when(30*time.Minute), 10))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		missing := retry
		missing.ID = r[4].ID + 1
		return tx.UpdatePendingRevoke(ctx, missing)
	})

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeletePendingRevoke(ctx, r[1].ID) })
	wantRead(t, s, "PendingRevokes after DeletePendingRevoke", []store.PendingRevoke{r[0], r[2], retry, r[4]}, of(0))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeletePendingRevoke(ctx, r[1].ID) })
}

// testDuePendingRevokesWorkers runs workers that claim due revokes and
// delete them, as replicas retrying revokes would: each is done exactly once.
func testDuePendingRevokesWorkers(t *testing.T, s store.Store) {
	const workers, revokes = 4, 24
	in := make([]store.PendingRevoke, revokes)
	for i := range in {
		in[i] = store.PendingRevoke{IntegrationID: 1, ConnectionID: int64(i % 3), Credential: sealed(fmt.Sprint(i)), Cause: store.RevokeReplaced,
			NextAttemptAt: when(time.Duration(i) * time.Millisecond), CreatedAt: when(0)}
	}
	createRevokes(t, s, in...)
	now := when(time.Hour)
	wantEachClaimedOnce(t, s, workers, revokes, func(ctx context.Context, tx store.Tx) ([]int64, error) {
		due, err := tx.DuePendingRevokes(ctx, now, 2)
		if err != nil {
			return nil, err
		}
		time.Sleep(time.Millisecond) // revoking
		var claimed []int64
		for _, r := range due {
			claimed = append(claimed, r.ID)
			if err := tx.DeletePendingRevoke(ctx, r.ID); err != nil {
				return nil, err
			}
		}
		return claimed, nil
	})
}

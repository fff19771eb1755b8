package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

// testConnectionReviews checks that LastConnectionReviews returns only the
// newest review of each connection, with what AddConnectionReview stored.
func testConnectionReviews(t *testing.T, s store.Store) {
	wantRead(t, s, "LastConnectionReviews of none", []store.ConnectionReview(nil),
		func(ctx context.Context, tx store.Tx) ([]store.ConnectionReview, error) {
			return tx.LastConnectionReviews(ctx)
		})
	in := []store.ConnectionReview{
		{ConnectionID: 7, ReviewerID: 3, Reviewer: "ada@example.com", ReviewedAt: when(0), Note: "still needed"},
		{ConnectionID: 2, Reviewer: "cli", ReviewedAt: when(time.Hour)},
		{ConnectionID: 7, ReviewerID: 4, Reviewer: "grace@example.com", ReviewedAt: when(2 * time.Hour)},
	}
	var got []store.ConnectionReview
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range in {
			out, err := tx.AddConnectionReview(ctx, r)
			if err != nil {
				return err
			}
			if out.ID <= 0 {
				t.Errorf("AddConnectionReview gave id %d, want a positive one", out.ID)
			}
			r.ID, r.ReviewedAt = out.ID, r.ReviewedAt.UTC().Truncate(time.Millisecond)
			if diff := cmp.Diff(r, out, opts); diff != "" {
				t.Errorf("AddConnectionReview does not return the stored value (-stored +returned):\n%s", diff)
			}
			got = append(got, out)
		}
		return nil
	})
	wantRead(t, s, "LastConnectionReviews", []store.ConnectionReview{got[1], got[2]},
		func(ctx context.Context, tx store.Tx) ([]store.ConnectionReview, error) {
			return tx.LastConnectionReviews(ctx)
		})
}

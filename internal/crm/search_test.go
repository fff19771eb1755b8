package crm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hubsync/hubsync/internal/crm"
)

// A search with a horizon pages through its first matches only, as
// HubSpot's does through its first 10,000, and its total still counts
// every match, as HubSpot's does.
func TestSearchHorizon(t *testing.T) {
	const n, horizon = 8, 5
	forEachBackend(t, func(t *testing.T, svc *crm.Service) {
		ctx := context.Background()
		batch := make([]map[string]string, n)
		for i := range batch {
			batch[i] = map[string]string{"email": fmt.Sprintf("h%d@example.com", i)}
		}
		if _, err := svc.BatchCreate(ctx, "test", "contacts", batch); err != nil {
			t.Fatal(err)
		}
		if res, err := svc.Search(ctx, "contacts", crm.SearchRequest{Limit: 1}); err != nil || res.Total != n {
			t.Fatalf("without a horizon: total %d, %v; want %d", res.Total, err, n)
		}
		var seen []int64
		after := ""
		for page := 0; ; page++ {
			res, err := svc.Search(ctx, "contacts", crm.SearchRequest{Limit: 2, After: after, Horizon: horizon})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != n {
				t.Errorf("page %d: total %d, want every match, %d", page, res.Total, n)
			}
			for _, r := range res.Records {
				seen = append(seen, r.ID)
			}
			if after = res.Next; after == "" || page > n {
				break
			}
		}
		if len(seen) != horizon {
			t.Errorf("paged through %d records, want the first %d", len(seen), horizon)
		}
		_, err := svc.Search(ctx, "contacts", crm.SearchRequest{Limit: 2, After: fmt.Sprint(horizon), Horizon: horizon})
		var e *crm.Error
		if !errors.As(err, &e) || e.Code != crm.CodeInvalidCursor {
			t.Errorf("a page past the horizon: %v, want %s", err, crm.CodeInvalidCursor)
		}
	})
}

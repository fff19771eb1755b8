package crm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestCancelledBatchLeavesOthersAlone: on SQLite, batches that arrive
// together share one commit; a caller that gives up while its batch is
// being written must not take the other callers' batches down with it.
// Callers whose context stays live all succeed, and what any caller was
// told was created is there.
func TestCancelledBatchLeavesOthersAlone(t *testing.T) {
	svc := setup(t, "sqlite")
	const callers, rounds, size = 8, 6, 100
	type result struct {
		live bool
		ids  []int64
		err  error
	}
	var (
		mu      sync.Mutex
		results []result
	)
	for round := range rounds {
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				live := c%2 == 0
				if !live {
					// Gives up somewhere in the middle of the shared write.
					time.AfterFunc(time.Duration(rand.IntN(3000))*time.Microsecond, cancel)
				}
				inputs := make([]map[string]string, size)
				for i := range inputs {
					inputs[i] = map[string]string{"email": fmt.Sprintf("r%d-c%d-%d@example.com", round, c, i), "firstname": "Group"}
				}
				recs, err := svc.BatchCreate(ctx, "test", "contacts", inputs)
				r := result{live: live, err: err}
				for _, rec := range recs {
					r.ids = append(r.ids, rec.ID)
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	for _, r := range results {
		if r.live && r.err != nil {
			t.Errorf("a batch whose caller stayed failed: %v", r.err)
		}
		if r.err != nil {
			continue
		}
		for _, id := range r.ids {
			if _, err := svc.Get(context.Background(), "contacts", strconv.FormatInt(id, 10), "", false); err != nil {
				t.Errorf("contact %d was reported created: %v", id, err)
				break
			}
		}
	}
}

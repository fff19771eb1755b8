package crm_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/crm"
)

// benchContacts is how many contacts the search benchmark holds:
// HUBSYNC_BENCH_CONTACTS, by default a million.
func benchContacts() int {
	if n, err := strconv.Atoi(os.Getenv("HUBSYNC_BENCH_CONTACTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

func seedContacts(b *testing.B, svc *crm.Service, n int) int {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	batch := make([]map[string]string, 0, crm.MaxBatch)
	for i := range n {
		batch = append(batch, map[string]string{"email": fmt.Sprintf("c%d@example.com", i),
			"firstname": "First" + strconv.Itoa(i%1000), "lastname": "Last" + strconv.Itoa(i%5000),
			"lifecyclestage": "lead", "company": "Company " + strconv.Itoa(i%20000)})
		if len(batch) == crm.MaxBatch || i == n-1 {
			if _, err := svc.BatchCreate(ctx, "bench", "contacts", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("seeded %d contacts in %s", n, time.Since(start).Round(time.Millisecond))
	return n
}

// reportPercentiles adds p50 and p99 latency metrics in milliseconds.
func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	ms := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkSearchByEmail measures an EQ search on email over many contacts.
func BenchmarkSearchByEmail(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			svc := setup(b, backend)
			n := seedContacts(b, svc, benchContacts())
			ctx := context.Background()
			var lat []time.Duration
			i := 0
			for b.Loop() {
				email := fmt.Sprintf("c%d@example.com", (i*7919)%n)
				i++
				t0 := time.Now()
				res, err := svc.Search(ctx, "contacts", crm.SearchRequest{FilterGroups: [][]crm.Filter{{{PropertyName: "email", Operator: "EQ", Value: email}}}})
				lat = append(lat, time.Since(t0))
				if err != nil || res.Total != 1 {
					b.Fatalf("search %s: total %d, %v", email, res.Total, err)
				}
			}
			reportPercentiles(b, lat)
		})
	}
}

// benchRecords is how many contacts the backfill benchmark holds:
// HUBSYNC_BENCH_RECORDS, by default 20,000.
func benchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("HUBSYNC_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// BenchmarkSearchBackfill reads every contact the way another hub reads
// this one: each call a fresh search for what was modified at or after a
// cursor, sorted by that time, 200 at a time, under the horizon the HTTP
// API sets. The records of the page's newest time are read again by the
// next call, which starts at that time. Every call matches everything still
// unread, so a total that counts every match makes the read quadratic.
func BenchmarkSearchBackfill(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			svc := setup(b, backend)
			// Each batch of 100 gets its own millisecond.
			var tick atomic.Int64
			start := time.Now()
			crm.SetClock(svc, func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Millisecond) })
			n := seedContacts(b, svc, benchRecords())
			ctx := context.Background()
			read := 0
			for b.Loop() {
				read += backfill(b, ctx, svc)
			}
			if read != n*b.N {
				b.Fatalf("read %d records, want %d", read, n*b.N)
			}
			b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// backfill reads every contact by windows of modification time and
// returns how many it read.
func backfill(b *testing.B, ctx context.Context, svc *crm.Service) int {
	read, from := 0, int64(0)
	for {
		res, err := svc.Search(ctx, "contacts", crm.SearchRequest{
			FilterGroups: [][]crm.Filter{{{PropertyName: "lastmodifieddate", Operator: "GTE", Value: strconv.FormatInt(from, 10)}}},
			Sorts:        []crm.SortSpec{{PropertyName: "lastmodifieddate"}},
			Properties:   []string{"email"}, Limit: 200, Horizon: crm.SearchHorizon,
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Records) < 200 {
			return read + len(res.Records)
		}
		newest := res.Records[len(res.Records)-1].UpdatedAt
		for _, r := range res.Records {
			if r.UpdatedAt.Before(newest) {
				read++
			}
		}
		from = newest.UnixMilli()
	}
}

// BenchmarkBatchCreate measures contacts created per second by batches of
// 100 through the service alone, without HTTP: the store's share of a
// batch create.
func BenchmarkBatchCreate(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			svc := setup(b, backend)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				batch := make([]map[string]string, crm.MaxBatch)
				for i := range batch {
					batch[i] = map[string]string{"email": fmt.Sprintf("b%d@example.com", n), "firstname": "Bench",
						"lastname": "L" + strconv.Itoa(n), "phone": "+1 555 0100", "company": "Example Inc", "lifecyclestage": "lead"}
					n++
				}
				if _, err := svc.BatchCreate(ctx, "bench", "contacts", batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

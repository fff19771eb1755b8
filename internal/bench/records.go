package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The record shape of every scenario and baseline: a contact with ten text
// properties, values of everyday length.
var propNames = []string{"email", "firstname", "lastname", "phone", "company", "website", "jobtitle", "address", "city", "state"}

// contact is the i-th contact of a set; sets differ by prefix, so their
// emails never collide.
func contact(prefix string, i int) map[string]string {
	return map[string]string{
		"email":     email(prefix, i),
		"firstname": fmt.Sprintf("First%d", i%1000),
		"lastname":  fmt.Sprintf("Last%d", i),
		"phone":     fmt.Sprintf("+1 555 %07d", i),
		"company":   fmt.Sprintf("Company %d", i%5000),
		"website":   fmt.Sprintf("https://company-%d.example", i%5000),
		"jobtitle":  "Purchasing Manager",
		"address":   fmt.Sprintf("%d Main Street", i%9000+1),
		"city":      "Springfield",
		"state":     "Oregon",
	}
}

func email(prefix string, i int) string { return fmt.Sprintf("%s-%d@bench.example", prefix, i) }

// batchSize is how many records one batch call carries, HubSpot's limit.
const batchSize = 100

// createContacts creates n contacts of a set through the CRM API, 100 per
// call, from the given number of concurrent clients. It returns how long
// each call took.
func createContacts(ctx context.Context, c *client, prefix string, from, n, clients int) ([]time.Duration, error) {
	starts := make(chan int)
	var (
		mu    sync.Mutex
		took  []time.Duration
		first error
		wg    sync.WaitGroup
	)
	for range clients {
		wg.Go(func() {
			rows := make([]map[string]string, 0, batchSize)
			for start := range starts {
				rows = rows[:0]
				for i := start; i < min(start+batchSize, from+n); i++ {
					rows = append(rows, contact(prefix, i))
				}
				began := time.Now()
				err := c.batchCreate(ctx, rows)
				mu.Lock()
				took = append(took, time.Since(began))
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for start := from; start < from+n; start += batchSize {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		starts <- start
	}
	close(starts)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return took, first
}

// percentile is the p-th percentile (0–100) of samples, nearest rank.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// loop runs fn from clients goroutines until n calls are done and returns
// each call's time.
func loop(ctx context.Context, n, clients int, fn func(ctx context.Context, i int) error) ([]time.Duration, error) {
	next := make(chan int)
	var (
		mu    sync.Mutex
		took  = make([]time.Duration, 0, n)
		first error
		wg    sync.WaitGroup
	)
	for range clients {
		wg.Go(func() {
			for i := range next {
				began := time.Now()
				err := fn(ctx, i)
				mu.Lock()
				took = append(took, time.Since(began))
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return took, first
}

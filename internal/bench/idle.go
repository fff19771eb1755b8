package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// idleName is the idle scenario's row.
const idleName = "idle connections hub→hub"

// idleSizes are how many connections sit idle and for how long they are
// watched: a minute in a full run, so the long waits toward the other hub
// (25 s) and the scheduled runs come round.
func (r *runner) idleSizes() (conns int, window time.Duration) {
	switch {
	case r.opts.Records > 0:
		return 5, 5 * time.Second
	case r.opts.Quick:
		return 100, 15 * time.Second
	default:
		return 100, time.Minute
	}
}

// pollInterval is the hub's default poll interval toward another hubsync
// (hub.DefaultPollInterval), which the target is per.
const pollInterval = 500 * time.Millisecond

// idleConnections gives hub B many two-way connections to hub A, both
// empty, lets their first runs finish and then, with nothing to do,
// measures B's CPU as a share of a core and the requests A answers.
func (r *runner) idleConnections(ctx context.Context) (Row, error) {
	n, window := r.idleSizes()
	row := Row{Name: idleName, Records: n, Unit: "% core/100"}
	a, err := r.startHub(ctx, hubSpec{name: "idle-a"})
	if err != nil {
		return row, err
	}
	defer r.stopHub(a)
	b, err := r.startHub(ctx, hubSpec{name: "idle-b"})
	if err != nil {
		return row, err
	}
	defer r.stopHub(b)
	if err := connectMany(ctx, a, b, n); err != nil {
		return row, err
	}
	// Every first run done, then long enough for the hub to start its
	// watchers (it looks at its connections every 5 s).
	if err := waitRuns(ctx, b, n); err != nil {
		return row, err
	}
	if err := sleep(ctx, 6*time.Second); err != nil {
		return row, err
	}
	before, err := requests(ctx, a)
	if err != nil {
		return row, err
	}
	m := startMeter(b)
	if err := sleep(ctx, window); err != nil {
		return row, err
	}
	took, cpu := time.Since(m.began), m.cpu()
	after, err := requests(ctx, a)
	if err != nil {
		return row, err
	}
	core := cpu.Seconds() / took.Seconds()
	intervals := took.Seconds() / pollInterval.Seconds()
	perInterval := (after - before) / float64(n) / intervals
	row.Rate = 100 * core * 100 / float64(n)
	row.CPUPerRecordUs = float64(cpu.Microseconds()) / float64(n) / intervals
	row.PeakRSSMiB = mib(b.peakRSS())
	row.Note = fmt.Sprintf("rate is B's CPU as %% of a core per 100 idle connections, CPU/rec its CPU per connection per poll interval (%s); "+
		"A answered %.0f requests in %.0f s, %.4f per connection per poll interval", pollInterval, after-before, took.Seconds(), perInterval)
	row.RequestsPerPoll = perInterval
	return row, nil
}

// connectMany gives b n two-way contact connections to a, through one
// integration, and asks each for a first run.
func connectMany(ctx context.Context, a, b *hubProc, n int) error {
	if err := b.admin.json(ctx, "POST", "/api/v1/integrations", map[string]any{
		"name": "idle-a", "provider": "hubspot", "auth": "private_app", "base_url": a.URL}, nil); err != nil {
		return err
	}
	for i := range n {
		p, err := connect(ctx, b, map[string]any{"integration": "idle-a", "name": fmt.Sprintf("idle %d", i), "auth_mode": "app",
			"owner": adminEmail, "objects": []string{"contacts"}, "credential": map[string]string{"api_key": a.crm.token}},
			map[string]any{"hub_object": "contacts", "direction": "two_way", "mappings": mappings(), "propagate_deletes": true})
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		if err := p.syncNow(ctx); err != nil {
			return err
		}
	}
	return nil
}

// waitRuns waits until h has finished n sync runs.
func waitRuns(ctx context.Context, h *hubProc, n int) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		runs, err := metricSum(ctx, h, "hubsync_sync_runs_total")
		if err != nil {
			return err
		}
		if runs >= float64(n) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s finished %.0f of its %d first runs in two minutes", h.name, runs, n)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// requests is how many HTTP requests h has answered.
func requests(ctx context.Context, h *hubProc) (float64, error) {
	return metricSum(ctx, h, "hubsync_http_request_duration_seconds_count")
}

// metricSum adds up a family's samples on h's /metrics, every label set.
func metricSum(ctx context.Context, h *hubProc, family string) (float64, error) {
	_, data, err := newClient(h.URL, "").call(ctx, "GET", "/metrics", nil)
	if err != nil {
		return 0, err
	}
	var sum float64
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, family+"{") && !strings.HasPrefix(line, family+" ") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %w", family, line, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

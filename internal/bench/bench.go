// Package bench owns `hubsync bench`: the standard performance scenarios
// run through real `hubsync serve` child processes, beside raw baselines
// measured in the same run, as one report. It starts its hubs in a
// temporary directory (and PostgreSQL schemas of its own) and removes them
// however the run ends. It holds no hub logic: every step goes through the
// command line, the admin API, the CRM API or OAuth, as a user's would.
// Benchmarks report; they never assert a time.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Options say what to run.
type Options struct {
	// Binary is the hubsync executable the hubs run as.
	Binary string
	// DatabaseURL adds the PostgreSQL scenarios and baseline; each gets a
	// fresh schema of this database, dropped after.
	DatabaseURL string
	// Quick runs small sizes and few samples, in about a minute.
	Quick bool
	// Million adds the 1,000,000-record initial syncs.
	Million bool
	// Records, when set, sizes every scenario to about this many records
	// with a few samples, for a test of the command itself.
	Records int
	// TempDir is where the run's directory is made (default: the system's).
	TempDir string
	// Progress is where the progress bar is drawn (nil: nowhere).
	Progress io.Writer
	// Only, when set, runs just the scenarios whose names it matches (and
	// the seeding the hub→hub ones need), for a developer at work on one.
	Only *regexp.Regexp
	// ProfileDir, when set, has every hub write a CPU profile of its whole
	// run there, named after the hub.
	ProfileDir string
}

// plan is the sizes of one run.
type plan struct {
	syncSizes  []int
	batch      int
	gets       int
	refreshes  int
	searches   int
	searchOver int
	pacing     pacing
}

func planFor(o Options) plan {
	switch {
	case o.Records > 0:
		// Searching twice the synced set makes the run grow the hub first,
		// as a full run does to reach a million. Reads are enough for
		// their CPU time to span several of /proc's 10 ms ticks.
		return plan{syncSizes: []int{o.Records}, batch: 2 * o.Records, gets: 200, refreshes: 200, searches: 200, searchOver: 2 * o.Records,
			pacing: pacing{samples: 2, next: 500 * time.Millisecond, tail: 2 * time.Second}}
	case o.Quick:
		return plan{syncSizes: []int{1_000, 3_000}, batch: 3_000, gets: 300, refreshes: 300, searches: 50, searchOver: 3_000,
			pacing: pacing{samples: 3, next: 750 * time.Millisecond, tail: 3 * time.Second}}
	default:
		p := plan{syncSizes: []int{10_000, 100_000}, batch: 100_000, gets: 5_000, refreshes: 5_000, searches: 500, searchOver: 1_000_000,
			// The tail outlasts the hubspot connector's default archive
			// interval (a minute), so today's archives are seen, slowly.
			pacing: pacing{samples: 40, next: time.Second, tail: 75 * time.Second}}
		if o.Million {
			p.syncSizes = append(p.syncSizes, 1_000_000)
		}
		return p
	}
}

// runner is one run: its directory, its hubs and what it found.
type runner struct {
	opts Options
	plan plan
	root string
	pg   *pgAdmin
	bar  *progressbar.ProgressBar

	mu   sync.Mutex
	hubs []*hubProc
	rep  Report
}

// Run runs every scenario and returns the report. A scenario that fails is
// recorded in the report and the others still run; the error says that
// some failed. Every hub it started is stopped and its directory removed
// before it returns, on cancellation too.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Binary == "" {
		bin, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Binary = bin
	}
	root, err := os.MkdirTemp(o.TempDir, "hubsync-bench-")
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	r := &runner{opts: o, plan: planFor(o), root: root,
		rep: Report{Started: time.Now(), Quick: o.Quick, Host: host, CPUs: runtime.NumCPU()}}
	if o.DatabaseURL != "" {
		r.pg = &pgAdmin{base: o.DatabaseURL}
	}
	defer r.cleanup()
	steps := r.selected(r.steps())
	r.bar = newBar(o.Progress, len(steps))
	for _, s := range steps {
		if ctx.Err() != nil {
			break
		}
		r.bar.Describe(s.name)
		began := time.Now()
		rows, err := s.run(ctx)
		r.rep.Steps = append(r.rep.Steps, StepTime{Name: s.name, Seconds: time.Since(began).Seconds()})
		if err != nil {
			r.rep.Failures = append(r.rep.Failures, fmt.Sprintf("%s: %v", s.name, err))
			// A scenario cut short has no result to show.
			rows = slices.DeleteFunc(rows, func(row Row) bool { return row.Rate == 0 })
		}
		r.rep.Rows = append(r.rep.Rows, rows...)
		r.bar.Add(1)
	}
	r.bar.Finish()
	compare(r.rep.Rows)
	checkTargets(r.rep.Rows)
	r.rep.Took = time.Since(r.rep.Started).Round(time.Second).String()
	if ctx.Err() != nil {
		return &r.rep, ctx.Err()
	}
	if len(r.rep.Failures) > 0 {
		return &r.rep, fmt.Errorf("%d scenario(s) failed", len(r.rep.Failures))
	}
	return &r.rep, nil
}

// selected is the steps Options.Only asks for, with the seeding first when
// a hub→hub sync is among them.
func (r *runner) selected(steps []step) []step {
	if r.opts.Only == nil {
		return steps
	}
	var out []step
	seeds := false
	for _, s := range steps[1:] {
		if r.opts.Only.MatchString(s.name) {
			out = append(out, s)
			seeds = seeds || strings.Contains(s.name, "hub→hub")
		}
	}
	if seeds {
		out = append([]step{steps[0]}, out...)
	}
	return out
}

func newBar(w io.Writer, steps int) *progressbar.ProgressBar {
	if w == nil {
		w = io.Discard
	}
	return progressbar.NewOptions(steps, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(20), progressbar.OptionClearOnFinish(), progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(true), progressbar.OptionFullWidth())
}

// startHub starts a hub the run stops at its end.
func (r *runner) startHub(ctx context.Context, spec hubSpec) (*hubProc, error) {
	if r.opts.ProfileDir != "" {
		spec.flags = append(spec.flags, "--cpu-profile", filepath.Join(r.opts.ProfileDir, spec.name+".pprof"))
	}
	h, err := startHub(ctx, r.opts.Binary, r.root, spec)
	if h != nil {
		r.mu.Lock()
		r.hubs = append(r.hubs, h)
		r.mu.Unlock()
	}
	return h, err
}

// stopHub stops a hub before the run ends, to free the machine for the
// next scenario.
func (r *runner) stopHub(h *hubProc) {
	r.mu.Lock()
	for i, x := range r.hubs {
		if x == h {
			r.hubs = append(r.hubs[:i], r.hubs[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	h.stop()
}

// cleanup stops every hub still running, then drops the PostgreSQL schemas
// and removes the directory.
func (r *runner) cleanup() {
	r.mu.Lock()
	hubs := r.hubs
	r.hubs = nil
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, h := range hubs {
		wg.Go(h.stop)
	}
	wg.Wait()
	var err error
	if r.pg != nil {
		err = r.pg.dropAll()
	}
	err = errors.Join(err, os.RemoveAll(r.root))
	if err != nil {
		r.rep.Failures = append(r.rep.Failures, "cleanup: "+err.Error())
	}
}

package syncer_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/syncer"
)

// benchRecords is the size of the initial-sync benchmarks.
func benchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("HUBSYNC_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// peakHeap samples the heap in use until stop is closed.
func peakHeap(stop <-chan struct{}) *atomic.Uint64 {
	var peak atomic.Uint64
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return &peak
}

// usage is what the process spent from start: CPU time, and its peak
// resident memory since then (VmHWM, reset at start where Linux allows).
type usage struct {
	start time.Time
	cpu   time.Duration
}

func startUsage() usage {
	// Writing 5 to clear_refs resets VmHWM, so the peak is the run's,
	// not the seeding's.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return usage{start: time.Now(), cpu: cpuTime()}
}

// report reports the rate, the CPU per record and the peak RSS of n
// records since start.
func (u usage) report(b *testing.B, n int) {
	took := time.Since(u.start)
	b.ReportMetric(float64(n)/took.Seconds(), "records/s")
	b.ReportMetric(float64((cpuTime()-u.cpu).Microseconds())/float64(n), "cpu-µs/record")
	if hwm := vmHWM(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "VmHWM-MiB")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM is the process's peak resident memory in bytes, 0 where unknown.
func vmHWM() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}

// BenchmarkInitialSyncHubToHub: B holds N contacts, A none; one run copies
// them to A over HTTP and OAuth and reads A's echo back.
func BenchmarkInitialSyncHubToHub(b *testing.B) {
	hub.TuneGC()
	n := benchRecords()
	for range b.N {
		b.StopTimer()
		tb := setupConnection(b, hubtest.SQLite, syncer.ObjectSyncInput{}, connectionApp())
		seedB(b, tb.b, n)
		runtime.GC()
		stop := make(chan struct{})
		peak := peakHeap(stop)
		b.StartTimer()
		u := startUsage()
		run := tb.run(b)
		u.report(b, n)
		b.StopTimer()
		close(stop)
		if got := run.Counts["contacts.to_app.created"]; got != n {
			b.Fatalf("created %d on A, want %d: %v", got, n, run.Counts)
		}
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	}
}

// BenchmarkInitialSyncHubToPostgres: the hub holds N contacts; one run
// writes them to an empty table.
func BenchmarkInitialSyncHubToPostgres(b *testing.B) {
	hub.TuneGC()
	n := benchRecords()
	for range b.N {
		b.StopTimer()
		tb := setupPostgres(b)
		seedB(b, tb.b, n)
		runtime.GC()
		stop := make(chan struct{})
		peak := peakHeap(stop)
		b.StartTimer()
		u := startUsage()
		tb.run(b)
		u.report(b, n)
		b.StopTimer()
		close(stop)
		if got := len(tb.rows(b)); got != n {
			b.Fatalf("%d rows, want %d", got, n)
		}
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	}
}

// BenchmarkOneChange: the time for one edit on A to reach B through a run,
// the engine's part of the propagation delay.
func BenchmarkOneChange(b *testing.B) {
	tb := setupConnection(b, hubtest.SQLite, syncer.ObjectSyncInput{}, connectionApp())
	rec := create(b, tb.a, map[string]string{"email": "one@example.com", "firstname": "v"})
	tb.run(b)
	tb.run(b)
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		update(b, tb.a, rec.ID, map[string]string{"firstname": fmt.Sprint("v", i)})
		start := time.Now()
		tb.run(b)
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	if got := byEmail(b, tb.b)["one@example.com"]["firstname"]; got != fmt.Sprint("v", b.N-1) {
		b.Fatalf("B has %q", got)
	}
}

func seedB(b *testing.B, env *hubtest.Env, n int) {
	b.Helper()
	ctx := context.Background()
	batch := make([]map[string]string, 0, 100)
	for i := range n {
		batch = append(batch, map[string]string{"email": fmt.Sprintf("c%d@example.com", i), "firstname": "First", "lastname": strconv.Itoa(i)})
		if len(batch) == 100 || i == n-1 {
			if _, err := env.Hub.CRM.BatchCreate(ctx, "seed", "contacts", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkPropagation: an edit on one hub reaches the other through the
// running hub B: from B, the change feed wakes the connection; from A, B's
// poll finds it. The time is measured until the other hub's API shows it.
func BenchmarkPropagation(b *testing.B) {
	for _, from := range []string{"hub", "app"} {
		b.Run("from_"+from, func(b *testing.B) { benchPropagation(b, from == "hub") })
	}
}

func benchPropagation(b *testing.B, fromHub bool) {
	tb := setupConnection(b, hubtest.SQLite, syncer.ObjectSyncInput{}, connectionApp())
	rec := create(b, tb.b, map[string]string{"email": "live@example.com", "firstname": "v"})
	tb.run(b)
	src, dst := tb.b, tb.a
	if !fromHub {
		src, dst = tb.a, tb.b
		var id int64
		fmt.Sscan(byEmail(b, tb.a)["live@example.com"]["hs_object_id"], &id)
		rec.ID = id
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := tb.b.Hub.Background(ctx)
	b.Cleanup(func() { cancel(); <-done })
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		want := fmt.Sprint("v", i)
		update(b, src, rec.ID, map[string]string{"firstname": want})
		start := time.Now()
		for byEmail(b, dst)["live@example.com"]["firstname"] != want {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("edit %d did not reach A in 30 s", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

package bench_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/bench"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
)

// hubsyncBin is the real hubsync, built once: the bench must measure
// serve processes, so the test runs the command as a user would.
var hubsyncBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bench-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hubsyncBin = filepath.Join(dir, "hubsync")
	build := exec.Command("go", "build", "-o", hubsyncBin, "github.com/hubsync/hubsync/cmd/hubsync")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build hubsync:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// wantRows are the rows every run with --database-url has, by name.
var wantRows = []string{
	"baseline: SQLite insert, 100 rows per statement",
	"baseline: loopback HTTP hop, HubSpot JSON",
	"baseline: pgx upsert, 100 rows per statement",
	"CRM batch create, SQLite, 1 client(s)",
	"CRM batch create, SQLite, 4 client(s)",
	"CRM batch create, PostgreSQL, 1 client(s)",
	"CRM batch create, PostgreSQL, 4 client(s)",
	"initial sync hub→hub (B pulls from A)",
	"initial sync hub→PostgreSQL",
	"GET contact by id, private app token, 1 client",
	"GET contact by id, OAuth access token, 1 client",
	"refresh_token grant, 4 clients",
	"search contact by email, 1 client",
	"idle connections hub→hub",
}

// The propagation rows: each kind of edit, each way, both pairs.
func init() {
	for _, dir := range []string{"external hub A → this hub B", "this hub B → external hub A",
		"hub → PostgreSQL table (plain SQL)", "PostgreSQL table (plain SQL) → hub"} {
		for _, kind := range []string{"create", "update", "archive"} {
			wantRows = append(wantRows, "propagation "+kind+", "+dir)
		}
	}
}

// TestBenchEndToEnd runs `hubsync bench` with tiny sizes through real
// serve processes, SQLite and PostgreSQL, and checks the JSON report has
// every row with a rate, the scenarios their ratios to the baselines, and
// that nothing is left behind. It asserts no time.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hubsync serve processes for about a minute")
	}
	pgtest.URL(t) // skips, or fails under CI=true, without PostgreSQL
	tmp := t.TempDir()
	cmd := exec.Command(hubsyncBin, "bench", "--records", "300", "--output", "json", "--temp-dir", tmp,
		"--database-url", pgtest.BaseURL())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hubsync bench: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), tail(stderr.String()))
	}
	var rep bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("--output json does not parse: %v\n%s", err, stdout.String())
	}
	if len(rep.Failures) > 0 {
		t.Errorf("failures: %v", rep.Failures)
	}
	rows := map[string]bench.Row{}
	for _, r := range rep.Rows {
		rows[r.Name] = r
	}
	for _, name := range wantRows {
		r, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("no row %q", name)
		case r.Rate <= 0:
			t.Errorf("%s: rate %v, want positive", name, r.Rate)
		case strings.HasPrefix(name, "propagation") && (r.P50ms <= 0 || r.P99ms < r.P50ms):
			t.Errorf("%s: p50 %v ms, p99 %v ms", name, r.P50ms, r.P99ms)
		case r.Baseline != "" && r.Ratio <= 0:
			t.Errorf("%s: no ratio to its baseline %q", name, r.Baseline)
		case !r.IsBaseline && !strings.HasPrefix(name, "propagation") && (r.CPUPerRecordUs <= 0 || r.PeakRSSMiB <= 0):
			t.Errorf("%s: CPU per record %v µs, peak RSS %v MiB, want both measured", name, r.CPUPerRecordUs, r.PeakRSSMiB)
		}
	}
	if len(rep.Rows) != len(wantRows) {
		t.Errorf("%d rows, want %d", len(rep.Rows), len(wantRows))
	}
	assertCleanedUp(t, tmp)
}

// TestBenchInterrupted stops the command with SIGINT, as Ctrl-C does, once
// a second hub serves (so the first is set up and held by the run), and
// checks it stops its hubs and removes its directory.
func TestBenchInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hubsync serve processes")
	}
	tmp := t.TempDir()
	cmd := exec.Command(hubsyncBin, "bench", "--records", "300", "--temp-dir", tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(2 * time.Minute)
	for len(servesUnder(t, tmp)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no second serve process started in 2 minutes: %s", tail(stderr.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if err == nil {
		t.Errorf("bench exited 0 after SIGINT")
	}
	assertCleanedUp(t, tmp)
}

// assertCleanedUp fails when a serve process still runs from dir or the
// run's directory is still there.
func assertCleanedUp(t *testing.T, dir string) {
	t.Helper()
	if left := servesUnder(t, dir); len(left) > 0 {
		t.Errorf("serve processes left running: %v", left)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

// servesUnder lists the processes whose command line names a path under
// dir: the hubs a bench started there.
func servesUnder(t *testing.T, dir string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(data), "\x00", " ")
		if strings.Contains(line, " serve ") && strings.Contains(line, dir) {
			out = append(out, line)
		}
	}
	return out
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

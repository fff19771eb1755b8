package syncer_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/syncer"
)

// BenchmarkServeInitialSyncHubToPostgres measures the real process: a data
// directory holds N contacts and a connection to an empty table; "hubsync
// serve" starts and syncs them. It reports the rate from the process's
// start until the table holds every row, the process's CPU per record and
// its peak resident memory (VmHWM), which the in-process benchmarks cannot
// tell apart from the benchmark's own.
func BenchmarkServeInitialSyncHubToPostgres(b *testing.B) {
	n := benchRecords()
	dir := b.TempDir()
	bin := buildServe(b, dir)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		cfg := config.Config{DataDir: filepath.Join(dir, fmt.Sprint("hub", i))}
		db, table := prepareServeToPostgres(b, cfg, n)
		b.StartTimer()
		cmd := exec.Command(bin, "--data-dir", cfg.DataDir, "serve", "--listen", "127.0.0.1:0")
		cmd.Stdout, cmd.Stderr = nil, nil
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		stop := func() { cmd.Process.Kill(); cmd.Wait() }
		b.Cleanup(stop) // when the benchmark fails
		limit := max(10*time.Minute, time.Duration(n)*2*time.Millisecond)
		var hwm int64
		var cpu time.Duration
		for rows := 0; rows < n; {
			time.Sleep(50 * time.Millisecond)
			hwm, cpu = procUsage(cmd.Process.Pid)
			if err := db.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&rows); err != nil {
				b.Fatal(err)
			}
			if time.Since(start) > limit {
				b.Fatalf("%d of %d rows after %v", rows, n, limit)
			}
		}
		took := time.Since(start)
		b.StopTimer()
		stop()
		b.ReportMetric(float64(n)/took.Seconds(), "records/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/record")
		b.ReportMetric(float64(hwm)/(1<<20), "VmHWM-MiB")
	}
}

// buildServe builds the command into dir, as the SIGKILL test does.
func buildServe(b *testing.B, dir string) string {
	b.Helper()
	bin := filepath.Join(dir, "hubsync")
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hubsync")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build hubsync: %v\n%s", err, out)
	}
	return bin
}

// prepareServeToPostgres makes a hub in cfg's data dir with n contacts and a
// connection syncing them to an empty table, and returns the table.
func prepareServeToPostgres(b *testing.B, cfg config.Config, n int) (*pgx.Conn, string) {
	b.Helper()
	ctx := context.Background()
	admin := pgtest.URL(b)
	u, _ := url.Parse(admin)
	schema := u.Query().Get("search_path")
	db, err := pgx.Connect(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close(context.Background()) })
	if _, err := db.Exec(ctx, `CREATE TABLE people (id bigserial PRIMARY KEY, email text UNIQUE, first_name text,
		last_name text, origin text UNIQUE, deleted boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		b.Fatal(err)
	}
	h, err := hub.Open(ctx, cfg, hub.WithIdentity(identity.WithArgon2(hubtest.CheapArgon2)))
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	if _, _, err := h.Identity.Init(ctx, identity.InitParams{AdminEmail: "admin@example.com", AdminPassword: "correct horse"}); err != nil {
		b.Fatal(err)
	}
	seedB(b, &hubtest.Env{Hub: h}, n)
	in, err := h.Connections.CreateIntegration(ctx, audit.CLI, connection.NewIntegration{Name: "warehouse", Provider: "postgres", AuthKind: connection.AuthPassword})
	if err != nil {
		b.Fatal(err)
	}
	u.User = url.UserPassword("postgres", "unused-with-trust-auth")
	u.RawQuery = url.Values{"sslmode": {"disable"}, "search_path": {schema}}.Encode()
	started, err := h.Connections.Create(ctx, audit.CLI, connection.NewConnection{Integration: in.Name, Name: "people",
		AuthMode: connection.ModeApp, Objects: []string{"contacts"}, Credential: connectorURL(u.String()),
		Config: map[string]string{"table": schema + ".people", "key_column": "id", "updated_column": "updated_at",
			"origin_column": "origin", "deleted_column": "deleted", "install_trigger": "true", "create_index": "true"}})
	if err != nil {
		b.Fatalf("create postgres connection: %v", err)
	}
	matchKey := "email"
	if _, err := h.Syncer.AddObjectSync(ctx, audit.CLI, started.Connection.ID, syncer.ObjectSyncInput{HubObject: "contacts",
		ExternalObject: "people", HubMatchKey: &matchKey, PropagateDeletes: true,
		Mappings: []store.FieldMapping{{Hub: "email", App: "email"}, {Hub: "firstname", App: "first_name"}, {Hub: "lastname", App: "last_name"}}}); err != nil {
		b.Fatal(err)
	}
	return db, schema + ".people"
}

// procUsage is a process's peak resident memory in bytes and the CPU time
// it has used.
func procUsage(pid int) (hwm int64, cpu time.Duration) {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			hwm = n << 10
		}
	}
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	// The fields after the command's closing parenthesis; utime and
	// stime are the 12th and 13th of them, in clock ticks (100 a second).
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
		f := strings.Fields(string(stat)[i+1:])
		if len(f) > 12 {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			cpu = time.Duration(ut+st) * 10 * time.Millisecond
		}
	}
	return hwm, cpu
}

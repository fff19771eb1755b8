package syncer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/sqlite"
	"github.com/hubsync/hubsync/internal/syncer"
)

// crashScale is the size of the SIGKILL test: HUBSYNC_CRASH_RECORDS records
// (half on each hub) and HUBSYNC_CRASH_KILLS kills; .ci/run runs the full
// 100,000 and 20, plain go test a small one.
func crashScale() (records, kills int) {
	records, kills = 20000, 4
	if n, err := strconv.Atoi(os.Getenv("HUBSYNC_CRASH_RECORDS")); err == nil && n > 0 {
		records = n
	}
	if n, err := strconv.Atoi(os.Getenv("HUBSYNC_CRASH_KILLS")); err == nil && n > 0 {
		kills = n
	}
	return records, kills
}

// buildHubsync builds the command into dir.
func buildHubsync(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "hubsync")
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hubsync")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build hubsync: %v\n%s", err, out)
	}
	return bin
}

// TestSIGKILLDuringInitialSync kills a real "hubsync serve" process with
// SIGKILL at random moments of a two-way initial sync with another hub,
// restarting it each time, then lets it finish: both hubs must hold every
// record once, with the same values.
func TestSIGKILLDuringInitialSync(t *testing.T) {
	t.Parallel()
	records, kills := crashScale()
	dir := t.TempDir()
	bin := buildHubsync(t, dir)
	a := hubtest.New(t, hubtest.SQLite)
	token := a.Token(t, hubtest.AllScopes...)
	cfg := config.Config{DataDir: filepath.Join(dir, "b")}
	prepareB(t, cfg, a.URL, token, records/2)
	seed(t, a, "a", records/2)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	midSync := 0
	// A kill lands at a random moment of the process's first window of
	// life. Starting and reaching the first committed step takes about a
	// second on a quiet machine and longer on a loaded one, so a window
	// whose kill found nothing new committed grows for the next one:
	// kills keep landing mid-step, never all before the first.
	window, seen := 1200*time.Millisecond, linksAt(t, cfg)
	for i := range kills {
		cmd := exec.Command(bin, "--data-dir", cfg.DataDir, "serve", "--listen", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "GOGC=400")
		logs, err := os.Create(filepath.Join(dir, fmt.Sprintf("serve-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200*time.Millisecond + time.Duration(rng.Int64N(int64(window))))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		cmd.Wait()
		logs.Close()
		now := linksAt(t, cfg)
		if now < records {
			midSync++
		}
		if now == seen {
			window = min(2*window, 4*time.Second)
		}
		seen = now
	}
	if midSync < kills/2 {
		t.Fatalf("only %d of %d kills landed during the sync", midSync, kills)
	}
	t.Logf("%d of %d kills landed during the sync", midSync, kills)

	b, err := hub.Open(context.Background(), cfg, hub.WithIdentity(identity.WithArgon2(hubtest.CheapArgon2)))
	if err != nil {
		t.Fatalf("open hub B after %d kills: %v", kills, err)
	}
	defer b.Close()
	env := &hubtest.Env{Hub: b, Config: cfg}
	var linked int
	b.Store.View(context.Background(), func(tx store.Tx) error {
		var err error
		linked, err = tx.CountLinks(context.Background(), 1)
		return err
	})
	if linked == 0 {
		last, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("serve-%d.log", kills-1)))
		t.Fatalf("the killed processes synced nothing: the kills did not interrupt a sync; the last one logged:\n%s", last)
	}
	t.Logf("the killed processes linked %d of %d records", linked, records)
	for round := 0; ; round++ {
		if err := b.Syncer.Run(context.Background(), 1, "manual"); err != nil {
			t.Fatalf("finishing run %d: %v", round, err)
		}
		runs, _ := b.Syncer.Runs(context.Background(), 1, 1)
		if quiet(runs[0].Counts) {
			break
		}
		if round > 20 {
			t.Fatalf("the sync does not settle: %v", runs[0].Counts)
		}
	}
	onA, onB := byEmail(t, a), byEmail(t, env)
	if len(onA) != records || len(onB) != records {
		t.Fatalf("after %d kills A has %d contacts and B %d, want %d each", kills, len(onA), len(onB), records)
	}
	for email, pa := range onA {
		pb, ok := onB[email]
		if !ok || pa["firstname"] != pb["firstname"] || pa["lastname"] != pb["lastname"] {
			t.Fatalf("%s differs: A %v, B %v", email, pa, pb)
		}
	}
	t.Logf("%d records, %d kills: both hubs equal", records, kills)
}

// quiet reports whether a run wrote nothing.
func quiet(counts map[string]int) bool {
	for k, n := range counts {
		if n > 0 && (hasSuffix(k, ".created") || hasSuffix(k, ".updated") || hasSuffix(k, ".archived")) {
			return false
		}
	}
	return true
}

// prepareB makes hub B in cfg's data dir with n contacts and a two-way
// contacts sync with the hub at aURL through a private app token.
func prepareB(t *testing.T, cfg config.Config, aURL, token string, n int) {
	t.Helper()
	ctx := context.Background()
	b, err := hub.Open(ctx, cfg, hub.WithIdentity(identity.WithArgon2(hubtest.CheapArgon2)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, _, err := b.Identity.Init(ctx, identity.InitParams{AdminEmail: "admin@example.com", AdminPassword: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	in, err := b.Connections.CreateIntegration(ctx, audit.CLI, connection.NewIntegration{Name: "hub-a", Provider: "hubspot",
		AuthKind: connection.AuthPrivateApp, Settings: connection.ProviderSettings("hubspot", aURL, nil)})
	if err != nil {
		t.Fatal(err)
	}
	started, err := b.Connections.Create(ctx, audit.CLI, connection.NewConnection{Integration: in.Name, Name: "B to A",
		AuthMode: connection.ModeApp, Objects: []string{"contacts"}, Credential: connector.Credential{APIKey: token},
		Config: map[string]string{"archive_interval": "0s", "read_overlap": "0s"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Syncer.AddObjectSync(ctx, audit.CLI, started.Connection.ID, syncer.ObjectSyncInput{HubObject: "contacts"}); err != nil {
		t.Fatal(err)
	}
	seed(t, &hubtest.Env{Hub: b}, "b", n)
}

// linksAt counts the links B's sync has stored, reading its database
// file directly while no process runs.
func linksAt(t *testing.T, cfg config.Config) int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), cfg.SQLitePath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.View(context.Background(), func(tx store.Tx) error {
		n, err = tx.CountLinks(context.Background(), 1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

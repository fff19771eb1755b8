package syncer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/sqlite"
	"github.com/hubsync/hubsync/internal/syncer"
)

// TestKilledRunIsMarkedInterrupted kills a real "hubsync serve" with
// SIGKILL in the middle of a run, on each backend. The run it leaves
// "running" is marked interrupted, as of the last step it saved, when a
// hub next looks: at once when serve starts again.
func TestKilledRunIsMarkedInterrupted(t *testing.T) {
	t.Parallel()
	bin := buildHubsync(t, t.TempDir())
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			a := hubtest.New(t, hubtest.SQLite)
			cfg := hubtest.Config(t, backend)
			prepareB(t, cfg, a.URL, a.Token(t, hubtest.AllScopes...), 6000)
			seed(t, a, "a", 6000)
			st := openStore(t, cfg)

			first := serveB(t, bin, cfg, "first")
			var seen store.SyncRun
			waitFor(t, "a run that has saved a step", func() bool {
				seen = runningRun(t, st)
				return !seen.HeartbeatAt.IsZero()
			})
			if err := first.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			first.Wait()
			if r := runByID(t, st, seen.ID); r.Status != syncer.RunRunning {
				t.Fatalf("run %d is %s right after the kill; the test needs it killed while running", r.ID, r.Status)
			}

			second := serveB(t, bin, cfg, "second")
			defer func() {
				second.Process.Signal(syscall.SIGTERM)
				second.Wait()
			}()
			var r store.SyncRun
			waitFor(t, fmt.Sprintf("run %d of the killed process to be marked", seen.ID), func() bool {
				r = runByID(t, st, seen.ID)
				return r.Status != syncer.RunRunning
			})
			if r.Status != syncer.RunInterrupted || r.HeartbeatAt.Before(seen.HeartbeatAt) || !r.FinishedAt.Equal(r.HeartbeatAt) ||
				!strings.Contains(r.Error, "last seen "+r.HeartbeatAt.Format(time.RFC3339)) {
				t.Errorf("the killed run is now %+v; want interrupted, finished when last seen (%v or later)", r, seen.HeartbeatAt)
			}
		})
	}
}

// serveB starts "hubsync serve" on cfg, logging to a file named for it.
func serveB(t *testing.T, bin string, cfg config.Config, name string) *exec.Cmd {
	t.Helper()
	args := []string{"--data-dir", cfg.DataDir, "serve", "--listen", "127.0.0.1:0"}
	if cfg.DatabaseURL != "" {
		args = append([]string{"--database-url", cfg.DatabaseURL}, args...)
	}
	cmd := exec.Command(bin, args...)
	logs, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// openStore opens cfg's store beside the processes that serve it.
func openStore(t *testing.T, cfg config.Config) store.Store {
	t.Helper()
	var st store.Store
	var err error
	if cfg.UsesPostgres() {
		st, err = postgres.Open(context.Background(), cfg.DatabaseURL)
	} else {
		st, err = sqlite.Open(context.Background(), cfg.SQLitePath())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// runningRun is connection 1's newest run if it is running.
func runningRun(t *testing.T, st store.Store) store.SyncRun {
	t.Helper()
	if runs := runsOf(t, st, 1); len(runs) == 1 && runs[0].Status == syncer.RunRunning {
		return runs[0]
	}
	return store.SyncRun{}
}

func runByID(t *testing.T, st store.Store, id int64) store.SyncRun {
	t.Helper()
	for _, r := range runsOf(t, st, 1000) {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no run %d", id)
	return store.SyncRun{}
}

// runsOf lists connection 1's newest runs.
func runsOf(t *testing.T, st store.Store, limit int) []store.SyncRun {
	t.Helper()
	var runs []store.SyncRun
	if err := st.View(context.Background(), func(tx store.Tx) error {
		var err error
		runs, err = tx.SyncRuns(context.Background(), 1, limit)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return runs
}

// waitFor polls cond until it holds; the deadline only ends a test that
// would otherwise hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

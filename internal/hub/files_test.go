package hub_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// TestDataFilesAreOwnerOnly: the data directory and the files in it (the
// SQLite database with its WAL and shared memory, the token key, the vault
// keyset) are readable by their owner alone, and database files an older
// hub left readable by everyone are tightened when a hub opens them.
func TestDataFilesAreOwnerOnly(t *testing.T) {
	cfg := hubtest.Config(t, hubtest.SQLite)
	cfg.DataDir = filepath.Join(cfg.DataDir, "data")
	db := []string{cfg.SQLitePath(), cfg.SQLitePath() + "-wal", cfg.SQLitePath() + "-shm"}
	check := func(when string, files []string) {
		t.Helper()
		if info, err := os.Stat(cfg.DataDir); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: data directory %v (%v), want 0700", when, info.Mode().Perm(), err)
		}
		for _, f := range files {
			if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s is %v (%v), want 0600", when, filepath.Base(f), info.Mode().Perm(), err)
			}
		}
	}
	env := hubtest.Open(t, cfg) // writes, so the WAL and shared memory exist
	env.Token(t, hubtest.AllScopes...)
	check("new hub", append(db, cfg.KeyFile(), cfg.VaultFile()))

	for _, f := range db {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hubtest.Open(t, cfg) // a second replica of the same hub
	check("reopened hub", db)
}

package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/hubsync/hubsync/internal/store/sqlite"
	"github.com/hubsync/hubsync/internal/store/storetest"
)

// BenchmarkLinks measures the link lookups and writes of a sync batch:
// go test -run '^$' -bench Links ./internal/store/sqlite
func BenchmarkLinks(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "hubsync.db"))
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	defer s.Close()
	storetest.BenchLinks(b, s)
}

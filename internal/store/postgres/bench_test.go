package postgres_test

import (
	"testing"

	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/store/storetest"
)

// BenchmarkLinks measures the link lookups and writes of a sync batch:
// go test -run '^$' -bench Links ./internal/store/postgres
func BenchmarkLinks(b *testing.B) {
	s, err := postgres.Open(b.Context(), pgtest.URL(b))
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	defer s.Close()
	storetest.BenchLinks(b, s)
}

package postgres_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/store/sqlstore"
	"github.com/hubsync/hubsync/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(t.Context(), pgtest.URL(t))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return s
	})
}

// TestEqualitySearchUsesTheLookupIndex guards the plan of the most common
// search, an email lookup, on a table that just grew from nothing: an index
// whose leading columns the predicate fixes, or a collation or expression
// that differs from the index's, makes PostgreSQL scan every contact instead.
func TestEqualitySearchUsesTheLookupIndex(t *testing.T) {
	ctx := t.Context()
	url := pgtest.URL(t)
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := tx.EnsureIndex(ctx, "contacts", "email", true); err != nil {
			return err
		}
		recs := make([]store.Record, 2000)
		for i := range recs {
			recs[i] = store.Record{Type: "contacts", Props: map[string]string{"email": fmt.Sprintf("c%d@example.com", i)},
				CreatedAt: time.Now(), UpdatedAt: time.Now()}
		}
		_, err := tx.InsertRecords(ctx, recs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// No explicit ANALYZE: the plan must hold before autovacuum has run.
	email := store.Field{Name: "email", Kind: store.KindText}
	for _, op := range []store.Op{store.OpEQ, store.OpIn} {
		query, args, err := sqlstore.CountSQL(postgres.Dialect, store.Query{ObjectType: "contacts",
			Groups: [][]store.Cond{{{Field: email, Op: op, Values: []string{"C7@example.com"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, "EXPLAIN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			rows.Scan(&line)
			plan.WriteString(line + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), "records_contacts_email_key") {
			t.Errorf("%s on email does not use the email index:\n%s\n%s", op, query, plan.String())
		}
	}
}

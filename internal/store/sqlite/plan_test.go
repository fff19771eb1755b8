package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/sqlite"
	"github.com/hubsync/hubsync/internal/store/sqlstore"
)

// TestLookupByValueUsesTheLookupIndex guards the plan of a search for a few
// emails in id order, how a sync finds the records it may already hold:
// SQLite, without statistics, walked every contact in id order looking for
// them (all of them when none matched) instead of reading them by the email
// index and sorting the few it found.
func TestLookupByValueUsesTheLookupIndex(t *testing.T) {
	ctx := context.Background()
	h, err := sqlite.OpenHandles(ctx, filepath.Join(t.TempDir(), "hubsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Store.Close()
	err = h.Store.Update(ctx, func(tx store.Tx) error {
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
	email := store.Field{Name: "email", Kind: store.KindText}
	id := store.Field{Name: "hs_object_id", Kind: store.KindID}
	for op, values := range map[store.Op][]string{store.OpEQ: {"c7@example.com"}, store.OpIn: {"c7@example.com", "none@example.com"}} {
		q := store.Query{ObjectType: "contacts", Limit: 200, ByValue: true, Groups: [][]store.Cond{{
			{Field: email, Op: op, Values: values},
			{Field: id, Op: store.OpGT, Values: []string{"0"}},
		}}, Sorts: []store.Sort{{Field: id}}}
		query, args, err := sqlstore.PageSQL(sqlite.Dialect, q)
		if err != nil {
			t.Fatal(err)
		}
		if plan := explain(t, h.Write, query, args); !strings.Contains(plan, "records_contacts_email_key") {
			t.Errorf("%s on email in id order does not use the email index:\n%s\n%s", op, query, plan)
		}
	}
}

func explain(t *testing.T, db *sql.DB, query string, args []any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	return plan.String()
}

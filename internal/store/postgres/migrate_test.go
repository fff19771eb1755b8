package postgres_test

import (
	"database/sql"
	"errors"
	"maps"
	"regexp"
	"slices"
	"testing"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
)

// lookupIndexes are the names and definitions of the records' lookup
// indexes in the test's schema.
func lookupIndexes(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'records' AND indexname ~ '_(idx|key)_[0-9a-f]{12}$'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		out[name] = def
	}
	return out
}

// TestMigrationRebuildsLookupIndexesToFoldASCII upgrades a database whose
// lookup indexes folded by the database's locale, as they did before
// migration 12: every index, the unique one of a custom property too, comes
// back folding ASCII only, as the queries do, and still refuses duplicates.
func TestMigrationRebuildsLookupIndexesToFoldASCII(t *testing.T) {
	ctx := t.Context()
	url := pgtest.URL(t)
	open := func() (*crm.Service, func()) {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		svc := crm.NewService(st)
		if err := svc.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		return svc, func() { st.Close() }
	}
	svc, closeStore := open()
	_, err := svc.CreateProperty(ctx, "contacts", store.Property{Name: "member_code", Label: "Member code", Type: "string",
		FieldType: "text", GroupName: "contactinformation", HasUniqueValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, "test", "contacts", map[string]string{"email": "kate@example.com", "member_code": "ÄB-1"}); err != nil {
		t.Fatal(err)
	}
	closeStore()

	// Back to how the indexes were before, and to before migration 12.
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := lookupIndexes(t, db)
	folded := regexp.MustCompile(`lower\(\((.*?)\) COLLATE "C"\)`)
	for name, def := range want {
		old := folded.ReplaceAllString(def, "lower($1)")
		if old == def {
			t.Fatalf("index %s does not fold under the C collation: %s", name, def)
		}
		for _, stmt := range []string{"DROP INDEX " + name, old} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM goose_db_version WHERE version_id >= 12"); err != nil {
		t.Fatal(err)
	}

	svc, closeStore = open()
	defer closeStore()
	got := lookupIndexes(t, db)
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Errorf("indexes after the upgrade %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for name, def := range got {
		if def != want[name] {
			t.Errorf("index %s after the upgrade:\n%s\nwant\n%s", name, def, want[name])
		}
	}
	for _, dup := range []map[string]string{{"member_code": "Äb-1"}, {"email": "KATE@example.com"}} {
		_, err := svc.Create(ctx, "test", "contacts", dup)
		var ce *crm.Error
		if !errors.As(err, &ce) || ce.Kind != crm.KindConflict {
			t.Errorf("create %v after the upgrade: %v, want a conflict", dup, err)
		}
	}
	// Folding is ASCII only: this value differs from ÄB-1.
	if _, err := svc.Create(ctx, "test", "contacts", map[string]string{"member_code": "äb-1"}); err != nil {
		t.Errorf("create member_code äb-1: %v", err)
	}
}

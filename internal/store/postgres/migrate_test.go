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
	svc, closeStore := openCRM(t, url)
	_, err := svc.CreateProperty(ctx, "contacts", store.Property{Name: "member_code", Label: "Member code", Type: "string",
		FieldType: "text", GroupName: "contactinformation", HasUniqueValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, "test", "contacts", map[string]string{"email": "kate@example.com", "member_code": "ÄB-1"}); err != nil {
		t.Fatal(err)
	}
	closeStore()

	db, want := beforeMigration12(t, url)
	svc, closeStore = openCRM(t, url)
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

// openCRM opens the store at url, migrating it, and prepares the CRM's
// lookup indexes as the hub does when it opens its store.
func openCRM(t *testing.T, url string) (*crm.Service, func()) {
	t.Helper()
	st, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(st)
	if err := svc.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	return svc, func() { st.Close() }
}

// beforeMigration12 puts the database at url back to how it was before
// migration 12: its lookup indexes fold by the database's locale, and the
// migration is to run. It returns a connection to the database and the
// index definitions the upgrade should bring back.
func beforeMigration12(t *testing.T, url string) (*sql.DB, map[string]string) {
	t.Helper()
	ctx := t.Context()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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
	return db, want
}

// TestMigrationKeepsContactsFindableByEmail upgrades a database whose
// contacts were written with emails in mixed case and with letters beyond
// ASCII (one spelled with a Kelvin sign): afterwards each contact is found
// by its email in any case, by a lookup, a search and an upsert, and a
// second contact with its email in another case is refused.
func TestMigrationKeepsContactsFindableByEmail(t *testing.T) {
	ctx := t.Context()
	url := pgtest.URL(t)
	svc, closeStore := openCRM(t, url)
	written := []string{"Ada.Lovelace@Example.COM", "ÄRGER@Beispiel.de", "\u212Aate@example.com", "Émile.Zola@Example.FR"}
	spellings := [][]string{
		{"ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM"},
		{"ärger@beispiel.de", "Ärger@BEISPIEL.DE"},
		{"kate@example.com", "KATE@EXAMPLE.COM", "\u212AATE@example.com"},
		{"émile.zola@example.fr", "ÉMILE.ZOLA@EXAMPLE.FR"},
	}
	ids := make([]int64, len(written))
	for i, email := range written {
		rec, err := svc.Create(ctx, "test", "contacts", map[string]string{"email": email})
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		ids[i] = rec.ID
	}
	closeStore()

	db, _ := beforeMigration12(t, url)
	var before int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM records WHERE object_type = 'contacts'").Scan(&before); err != nil {
		t.Fatal(err)
	}
	svc, closeStore = openCRM(t, url)
	defer closeStore()

	for i, names := range spellings {
		for _, email := range names {
			rec, err := svc.Get(ctx, "contacts", email, "email", false)
			if err != nil || rec.ID != ids[i] {
				t.Errorf("get by email %s after the upgrade: %d, %v; want %d", email, rec.ID, err, ids[i])
			}
			res, err := svc.Search(ctx, "contacts", crm.SearchRequest{FilterGroups: [][]crm.Filter{{
				{PropertyName: "email", Operator: "EQ", Value: email}}}, Limit: 10})
			if err != nil || len(res.Records) != 1 || res.Records[0].ID != ids[i] {
				t.Errorf("search email EQ %s after the upgrade: %v, %v; want record %d", email, res.Records, err, ids[i])
			}
			up, err := svc.BatchUpsert(ctx, "test", "contacts", []crm.Input{{ID: email, IDProperty: "email",
				Properties: map[string]string{"firstname": "Upserted"}}})
			if err != nil || len(up) != 1 || up[0].New || up[0].Record.ID != ids[i] {
				t.Errorf("upsert by email %s after the upgrade: %+v, %v; want an update of %d", email, up, err, ids[i])
			}
		}
		_, err := svc.Create(ctx, "test", "contacts", map[string]string{"email": names[len(names)-1]})
		var ce *crm.Error
		if !errors.As(err, &ce) || ce.Kind != crm.KindConflict {
			t.Errorf("create %s after the upgrade: %v, want a conflict", names[len(names)-1], err)
		}
	}
	var after int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM records WHERE object_type = 'contacts'").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("%d contacts after the upgrade's lookups and upserts, want the %d there were", after, before)
	}
}

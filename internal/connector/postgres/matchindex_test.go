package postgres_test

import (
	"context"
	"testing"

	"github.com/hubsync/hubsync/internal/connector/postgres"
)

// matchIndexes lists the definitions of the indexes FindBy made on people.
func (rb *recordsBundle) matchIndexes(t *testing.T) []string {
	t.Helper()
	rows, err := rb.admin.Query(context.Background(),
		"SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'people' AND indexname LIKE 'hubsync_match_%'", rb.schema)
	if err != nil {
		t.Fatal(err)
	}
	var defs []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		defs = append(defs, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return defs
}

func TestFindByIndexesTheMatchColumn(t *testing.T) {
	t.Parallel()
	const ddl = "CREATE TABLE people (id bigint PRIMARY KEY, email varchar(200), code int, updated_at timestamptz)"
	for _, tc := range []struct {
		name    string
		config  map[string]string
		field   string
		value   string
		indexed bool
	}{
		{"with create_index", map[string]string{postgres.ConfigCreateIndex: "true"}, "email", "ADA@example.com", true},
		{"without create_index", nil, "email", "ADA@example.com", false},
		// lower() of a number's text would need an index on the cast.
		{"a column that is not text", map[string]string{postgres.ConfigCreateIndex: "true"}, "code", "7", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rb := setupRecords(t, ddl, tc.config)
			rb.exec(t, "INSERT INTO people VALUES (1, 'Ada@Example.com', 7, now()), (2, 'bob@example.com', 8, now())")
			for range 2 { // the second call finds the index made
				found, err := rb.c.FindBy(context.Background(), rb.target, rb.cred, "people", tc.field, []string{tc.value, "nobody"}, []string{"email"})
				if err != nil {
					t.Fatal(err)
				}
				if len(found) != 1 || found[0].ID != "1" {
					t.Fatalf("FindBy: %+v, want row 1", found)
				}
			}
			defs := rb.matchIndexes(t)
			if got := len(defs) == 1; got != tc.indexed {
				t.Fatalf("match indexes %q, want one: %v", defs, tc.indexed)
			}
		})
	}
}

// A user who may not create indexes still matches, by reading the table.
func TestFindByWithoutIndexPrivilege(t *testing.T) {
	t.Parallel()
	rb := setupNotOwner(t, map[string]string{postgres.ConfigCreateIndex: "true"})
	rb.exec(t, "INSERT INTO people VALUES (1, 'Ada@Example.com', now())")
	found, err := rb.c.FindBy(context.Background(), rb.target, rb.cred, "people", "email", []string{"ada@example.com"}, nil)
	if err != nil || len(found) != 1 {
		t.Fatalf("FindBy: %+v, %v", found, err)
	}
	if defs := rb.matchIndexes(t); len(defs) != 0 {
		t.Fatalf("match indexes %q, want none", defs)
	}
}

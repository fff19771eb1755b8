package hub_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// TestTokensAreStoredOnlyAsKeyedHashes makes tokens, uses and rotates them,
// then looks for them in every byte the hub keeps on disk or in PostgreSQL.
func TestTokensAreStoredOnlyAsKeyedHashes(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			env := hubtest.New(t, backend)
			ctx := context.Background()
			tokens := []string{env.Token(t, "crm.objects.contacts.read"), env.Token(t, "crm.objects.deals.read")}
			_, rotated, err := env.Hub.PrivateApps.Rotate(ctx, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, rotated)
			for _, tok := range tokens[1:] {
				if _, err := env.Hub.PrivateApps.Authenticate(ctx, tok); err != nil {
					t.Fatalf("token does not authenticate: %v", err)
				}
			}
			if backend == hubtest.Postgres {
				scanPostgres(t, env.Config.DatabaseURL, tokens)
			}
			if err := env.Hub.Close(); err != nil { // flush SQLite's WAL into the file
				t.Fatal(err)
			}
			scanDir(t, env.Config.DataDir, tokens)
			if bytes.Contains([]byte(env.Logs.String()), []byte("pat-hs1-")) {
				t.Error("a token was logged")
			}
		})
	}
}

func scanDir(t *testing.T, dir string, tokens []string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, tok := range tokens {
			if bytes.Contains(data, []byte(tok)) || bytes.Contains(data, []byte(tok[8:])) {
				t.Errorf("%s holds a token in clear", path)
			}
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("scanned %d files: %v", files, err)
	}
}

func scanPostgres(t *testing.T, url string, tokens []string) {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Every row of every table of the schema, as text.
	rows, err := db.Query(`SELECT format('SELECT string_agg(t::text, E''\n'') FROM %I.%I t', table_schema, table_name)
		FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	var queries []string
	for rows.Next() {
		var q string
		rows.Scan(&q)
		queries = append(queries, q)
	}
	rows.Close()
	for _, q := range queries {
		var dump sql.NullString
		if err := db.QueryRow(q).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		for _, tok := range tokens {
			if bytes.Contains([]byte(dump.String), []byte(tok[8:])) {
				t.Errorf("%s returns a token in clear", q)
			}
		}
	}
	if len(queries) < 5 {
		t.Fatalf("scanned only %d tables", len(queries))
	}
}

// TestWrongKeyIsRefused opens a hub's database with another token key: the
// hub must refuse to start rather than reject every token.
func TestWrongKeyIsRefused(t *testing.T) {
	cfg := hubtest.Config(t, hubtest.SQLite)
	h, err := hub.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	cfg.TokenKeyFile = filepath.Join(t.TempDir(), "other.key")
	_, err = hub.Open(context.Background(), cfg)
	if !errors.Is(err, store.ErrKeyMismatch) {
		t.Fatalf("opening with another key: %v, want ErrKeyMismatch", err)
	}
}

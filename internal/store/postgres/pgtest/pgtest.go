// Package pgtest gives each test its own schema in the local PostgreSQL, so
// tests run in parallel against a real server. Where PostgreSQL cannot be
// reached the test is skipped, except under CI=true, where it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultURL is the machine's PostgreSQL, overridable by HUBSYNC_TEST_DATABASE_URL.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL is the database tests create their schemas in.
func BaseURL() string {
	if u := os.Getenv("HUBSYNC_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// URL creates a fresh schema for t and returns a database URL whose search
// path points at it. The schema is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	base := BaseURL()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgresql url: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("postgresql is required in CI and is unreachable at %s: %v", base, err)
		}
		t.Skipf("postgresql unreachable at %s (set CI=true to fail instead): %v", base, err)
	}
	buf := make([]byte, 6)
	rand.Read(buf)
	schema := "t_" + hex.EncodeToString(buf)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgresql url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

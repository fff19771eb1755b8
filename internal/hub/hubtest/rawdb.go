package hubtest

import (
	"database/sql"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// DB opens a second connection to the hub's database, beside the hub's
// own, so tests can check what is stored without going through the store.
// On SQLite it is read-only. It is closed when the test ends.
func (e *Env) DB(t testing.TB) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", e.Config.DatabaseURL
	if dsn == "" {
		q := url.Values{"_pragma": {"busy_timeout(10000)", "query_only(1)"}}
		driver, dsn = "sqlite", "file:"+e.Config.SQLitePath()+"?"+q.Encode()
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s database: %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// CountTokens counts the stored OAuth tokens of the given kinds (codes,
// access and refresh tokens, PKCE records), active or not.
func (e *Env) CountTokens(t testing.TB, kinds ...string) int {
	t.Helper()
	db := e.DB(t)
	defer db.Close()
	marks := make([]string, len(kinds))
	args := make([]any, len(kinds))
	for i, k := range kinds {
		marks[i], args[i] = "?", k
		if e.Config.DatabaseURL != "" {
			marks[i] = "$" + strconv.Itoa(i+1)
		}
	}
	var n int
	q := "SELECT count(*) FROM oauth_tokens WHERE kind IN (" + strings.Join(marks, ", ") + ")"
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("count tokens: %v", err)
	}
	return n
}

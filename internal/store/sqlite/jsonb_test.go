package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/sqlite"
)

// Property strings with what JSON must escape or check: quotes, HTML,
// controls, non-ASCII, invalid UTF-8 and U+2028.
var propString = rapid.OneOf(
	rapid.StringMatching(`[a-z_0-9@. +-]{0,12}`),
	rapid.SampledFrom([]string{"", `"`, `\`, "<b>&amp;</b>", "\x00\t\n", "Émile 👋", "\xff\xfe", "\u2028", "a\"b\\c", "\x7f"}),
	rapid.String(),
	rapid.StringN(200, 70000, -1),
)

// The store writes records' binary JSON itself. What it writes must be
// strictly valid JSONB, and read back as SQLite's own encoding of the JSON
// text the store sent before: the same text out of json(), the same value
// for every property that indexes and searches extract.
func TestStoredPropertiesAreSQLitesOwnJSONB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hubsync.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	rapid.Check(t, func(rt *rapid.T) {
		props := rapid.MapOf(propString, propString).Draw(rt, "props")
		text, err := json.Marshal(props)
		if err != nil {
			rt.Fatal(err)
		}
		var id int64
		if err := s.Update(t.Context(), func(tx store.Tx) error {
			recs, err := tx.InsertRecords(t.Context(), []store.Record{{Type: "contacts", Props: props, CreatedAt: time.Now(), UpdatedAt: time.Now()}})
			if err == nil {
				id = recs[0].ID
			}
			return err
		}); err != nil {
			rt.Fatalf("insert: %v", err)
		}
		var got, want string
		var valid bool
		if err := db.QueryRow(`SELECT json(props), json(jsonb(?)), json_valid(props, 8) FROM records WHERE id = ?`, string(text), id).
			Scan(&got, &want, &valid); err != nil {
			rt.Fatalf("read: %v", err)
		}
		if !valid || got != want {
			rt.Fatalf("stored %s (strictly valid JSONB: %v), SQLite encodes %s", got, valid, want)
		}
		for k := range props {
			var got, want sql.NullString
			path := `$."` + k + `"`
			if err := db.QueryRow(`SELECT json_extract(props, ?), json_extract(jsonb(?), ?) FROM records WHERE id = ?`, path, string(text), path, id).
				Scan(&got, &want); err != nil {
				continue // a key that no JSON path can name
			}
			if got != want {
				rt.Fatalf("property %q: stored %v, SQLite's encoding %v", k, got, want)
			}
		}
	})
}

package sqlstore

import (
	"database/sql"
	"encoding/json"
	"testing"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
	"pgregory.net/rapid"
)

// The store writes records' binary JSON itself. What it writes must be
// strictly valid JSONB, and read back as SQLite's own encoding of the JSON
// text the store sent before: the same text out of json(), the same value
// for every property that indexes and searches extract.
func TestPropsJSONBIsSQLitesOwnEncoding(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	long := rapid.StringN(200, 70000, -1)
	rapid.Check(t, func(rt *rapid.T) {
		props := rapid.MapOf(propString, rapid.OneOf(propString, long)).Draw(rt, "props")
		text, err := json.Marshal(props)
		if err != nil {
			rt.Fatal(err)
		}
		blob := propsJSONB(props)
		var got, want string
		var valid bool
		if err := db.QueryRow(`SELECT json(?1), json(jsonb(?2)), json_valid(?1, 8)`, blob, string(text)).Scan(&got, &want, &valid); err != nil {
			rt.Fatalf("read: %v", err)
		}
		if !valid || got != want {
			rt.Fatalf("stored %s (strictly valid JSONB: %v), SQLite encodes %s", got, valid, want)
		}
		for k := range props {
			var got, want sql.NullString
			path := `$."` + k + `"`
			if err := db.QueryRow(`SELECT json_extract(?1, ?3), json_extract(jsonb(?2), ?3)`, blob, string(text), path).Scan(&got, &want); err != nil {
				continue // a key that no JSON path can name
			}
			if got != want {
				rt.Fatalf("property %q: stored %v, SQLite's encoding %v", k, got, want)
			}
		}
	})
}

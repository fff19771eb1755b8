package sqlstore

import (
	"database/sql"
	"encoding/json"
	"maps"
	"testing"

	_ "modernc.org/sqlite"
)

// The link statements of a full step are among the write connection's
// prepared statements, and they prepare against the table as the
// migrations make it: one that failed to prepare would silently be parsed
// again on every step.
func TestFullStepLinkWritesArePreparedOnce(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// As in migrations/00004_syncs.sql.
	if _, err := db.Exec(`CREATE TABLE sync_links (
		sync_id      INTEGER NOT NULL,
		hub_id       INTEGER NOT NULL,
		external_id  TEXT NOT NULL,
		snapshot     TEXT NOT NULL,
		hub_archived INTEGER NOT NULL DEFAULT 0,
		app_archived INTEGER NOT NULL DEFAULT 0,
		updated_at   INTEGER NOT NULL,
		PRIMARY KEY (sync_id, hub_id),
		UNIQUE (sync_id, external_id))`); err != nil {
		t.Fatal(err)
	}
	// As sqlite.Dialect writes properties (that package imports this one).
	d := Dialect{Name: "sqlite", PropsIn: "?", BinaryProps: true}
	c := prepareHot(db, d, hotWrites(d))
	defer c.close()
	for name, q := range map[string]string{
		"set external ids": moveLinksSQL(rowsPerInsert),
		"upsert links":     upsertLinksSQL(rowsPerInsert),
	} {
		if c.m[q] == nil {
			t.Errorf("the %s statement of a full step is not prepared", name)
		}
	}
}

// Snapshots are written without reflection, byte for byte as
// encoding/json writes them, and read back the same, staged values
// (whose names start with a control character) and all.
func TestSnapshotJSON(t *testing.T) {
	for _, snap := range []map[string]string{
		nil,
		{},
		{"email": "ada@example.com", "firstname": "Ada"},
		{"email": "a@x", "\x00pending:email": "b@x", "note": `quote " and <tag> & é`},
	} {
		want, _ := json.Marshal(snap)
		got := snapshotJSON(snap)
		if got != string(want) {
			t.Errorf("snapshotJSON(%q) = %s, want %s", snap, got, want)
		}
		back, err := decodeProps([]byte(got))
		if err != nil || !maps.Equal(back, snap) || (snap == nil) != (back == nil) {
			t.Errorf("decodeProps(%s) = %q, %v; want %q", got, back, err, snap)
		}
	}
}

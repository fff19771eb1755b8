package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/postgres"
)

type recordsBundle struct {
	*testBundle
	c      *postgres.Connector
	target connector.Target
	cred   connector.Credential
	pw     string
	user   string
}

// setupRecords creates the table people with ddl in the test's schema,
// owned by a fresh login role (so Prepare may add a trigger), and a
// Connector that syncs it as that role. config adds to the table settings;
// commit_lag is 0s unless config sets it.
func setupRecords(t *testing.T, ddl string, config map[string]string) *recordsBundle {
	t.Helper()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	b.exec(t, ddl)
	b.exec(t, "GRANT USAGE, CREATE ON SCHEMA "+b.schema+" TO "+user)
	b.exec(t, "ALTER TABLE people OWNER TO "+user)
	tg := target(b.schema+".people", "id", "updated_at")
	tg.Config[postgres.ConfigCommitLag] = "0s"
	maps.Copy(tg.Config, config)
	c := postgres.New()
	t.Cleanup(c.Close)
	return &recordsBundle{testBundle: b, c: c, target: tg, cred: b.credential(user, pw, nil), pw: pw, user: user}
}

func (rb *recordsBundle) apply(t *testing.T, writes ...connector.Write) []connector.WriteResult {
	t.Helper()
	res, err := rb.c.Apply(context.Background(), rb.target, rb.cred, "people", writes)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(res) != len(writes) {
		t.Fatalf("Apply returned %d results for %d writes", len(res), len(writes))
	}
	for i, r := range res {
		if r.Ref != writes[i].Ref {
			t.Fatalf("result %d has ref %q, want %q", i, r.Ref, writes[i].Ref)
		}
		if r.Err != nil {
			assertNoPassword(t, r.Err, rb.pw)
		}
	}
	return res
}

// applied fails the test unless every result succeeded.
func applied(t *testing.T, res []connector.WriteResult) {
	t.Helper()
	for _, r := range res {
		if r.Err != nil || r.ID == "" {
			t.Fatalf("write %s: id %q, error %v", r.Ref, r.ID, r.Err)
		}
	}
}

// writer connects as the sync's own role, so its transactions' starts
// show to the horizon; it is closed when the test ends.
func (rb *recordsBundle) writer(t *testing.T) *pgx.Conn {
	t.Helper()
	as := *rb.base
	as.User = url.UserPassword(rb.user, rb.pw)
	conn, err := pgx.Connect(context.Background(), as.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func (rb *recordsBundle) changes(t *testing.T, fields []string, cursor string, limit int) connector.Page {
	t.Helper()
	page, err := rb.c.Changes(context.Background(), rb.target, rb.cred, "people", fields, cursor, limit)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	return page
}

// changesUntil reads from cursor until want records came back: rows
// stamped just now are held back while any transaction that started
// before them, in any test sharing the database, is still open.
func (rb *recordsBundle) changesUntil(t *testing.T, fields []string, cursor string, want int) ([]connector.Record, string) {
	t.Helper()
	var got []connector.Record
	deadline := time.Now().Add(10 * time.Second)
	for {
		page := rb.changes(t, fields, cursor, 500)
		got = append(got, page.Records...)
		cursor = page.Cursor
		if len(got) >= want || time.Now().After(deadline) {
			return got, cursor
		}
		if !page.More {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (rb *recordsBundle) get(t *testing.T, ids ...string) map[string]connector.Record {
	t.Helper()
	recs, err := rb.c.Get(context.Background(), rb.target, rb.cred, "people", nil, ids)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	out := map[string]connector.Record{}
	for _, r := range recs {
		out[r.ID] = r
	}
	return out
}

func (rb *recordsBundle) count(t *testing.T, where string) int {
	t.Helper()
	var n int
	if err := rb.admin.QueryRow(context.Background(), "SELECT count(*) FROM people WHERE "+where).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", where, err)
	}
	return n
}

func ids(recs []connector.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func TestChangesPagesInOrderOnce(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)", nil)
	// 1,250 rows over about 3 ms, so that many share a millisecond; the
	// stamps fall as ids rise, so the key order is not the time order;
	// and rows 1–300 share one stamp, which other rows share too.
	rb.exec(t, `INSERT INTO people
		SELECT i, 'p' || i || '@example.com',
		       CASE WHEN i <= 300 THEN timestamptz '2024-03-01 10:00:00.001500+00'
		            ELSE timestamptz '2024-03-01 10:00:00+00' + (1250 - i) * 3 * interval '1 microsecond' END
		FROM generate_series(1, 1250) i`)
	var want []string
	rows, err := rb.admin.Query(context.Background(), "SELECT id::text AS key FROM people ORDER BY updated_at, people.id")
	if err != nil {
		t.Fatal(err)
	}
	want, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if n := rb.count(t, "updated_at = '2024-03-01 10:00:00.001500+00'"); n < 300 {
		t.Fatalf("%d rows share the stamp, want at least 300", n)
	}

	var got []connector.Record
	cursor := ""
	for i, wantLen := range []int{500, 500, 250} {
		page := rb.changes(t, []string{"email", "updated_at"}, cursor, 500)
		if len(page.Records) != wantLen || page.More != (wantLen == 500) {
			t.Fatalf("page %d: %d records, More %v; want %d", i, len(page.Records), page.More, wantLen)
		}
		got = append(got, page.Records...)
		cursor = page.Cursor
	}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("records are not each row once in (updated_at, id) order:\ngot  %v\nwant %v", ids(got), want)
	}
	page := rb.changes(t, nil, cursor, 500)
	if len(page.Records) != 0 || page.More || page.Cursor != cursor {
		t.Fatalf("after the last page: %d records, More %v, cursor moved %v", len(page.Records), page.More, page.Cursor != cursor)
	}

	// Full precision in UpdatedAt, the hub's format in Props.
	r := got[0]
	if r.ID != "1250" || !r.UpdatedAt.Equal(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("first record %s at %v", r.ID, r.UpdatedAt)
	}
	for _, r := range got {
		if r.ID == "1" {
			if want := time.Date(2024, 3, 1, 10, 0, 0, 1500000, time.UTC); !r.UpdatedAt.Equal(want) {
				t.Errorf("record 1 updated at %v, want %v", r.UpdatedAt, want)
			}
			if r.Props["updated_at"] != "2024-03-01T10:00:00.001Z" || r.Props["email"] != "p1@example.com" {
				t.Errorf("record 1 props %v", r.Props)
			}
		}
	}
}

func TestChangesSeesPlainSQLWithTrigger(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)",
		map[string]string{postgres.ConfigInstallTrigger: "true", postgres.ConfigCreateIndex: "true"})
	ctx := context.Background()
	if err := rb.c.Prepare(ctx, rb.target, rb.cred); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if err := rb.c.Prepare(ctx, rb.target, rb.cred); err != nil {
		t.Fatalf("Prepare again: %v", err)
	}
	// Only this test's schema: other tests drop theirs meanwhile, and
	// describing an index being dropped fails. pg_indexes may describe
	// every index before filtering by schema, so pick this table's indexes
	// first (a materialized CTE) and describe only those.
	var idx int
	if err := rb.admin.QueryRow(ctx, `WITH ix AS MATERIALIZED (
		SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = 'people')
	SELECT count(*) FROM ix WHERE pg_get_indexdef(indexrelid) LIKE '%(updated_at, id)%'`,
		rb.schema).Scan(&idx); err != nil {
		t.Fatalf("count indexes: %v", err)
	}
	if idx != 1 {
		t.Errorf("%d indexes on (updated_at, id), want 1", idx)
	}

	rb.exec(t, "INSERT INTO people (id, email) SELECT i, 'p' || i FROM generate_series(1, 5) i")
	recs, cursor := rb.changesUntil(t, []string{"email"}, "", 5)
	if len(recs) != 5 {
		t.Fatalf("read %d rows inserted by SQL, want 5", len(recs))
	}

	// Plain SQL that does not touch updated_at, after the cursor.
	rb.exec(t, "UPDATE people SET email = 'changed' WHERE id = 2")
	rb.exec(t, "UPDATE people SET updated_at = '2000-01-01' WHERE id = 4") // the trigger overrides it
	rb.exec(t, "INSERT INTO people (id, email) VALUES (6, 'p6')")
	recs, cursor = rb.changesUntil(t, []string{"email"}, cursor, 3)
	if got := ids(recs); !slices.Equal(got, []string{"2", "4", "6"}) {
		t.Fatalf("after SQL changes read %v, want [2 4 6]", got)
	}
	if recs[0].Props["email"] != "changed" {
		t.Errorf("row 2 email %q", recs[0].Props["email"])
	}
	if page := rb.changes(t, nil, cursor, 500); len(page.Records) != 0 {
		t.Errorf("read %v again", ids(page.Records))
	}
}

// A transaction that stamps a row and commits late must not be skipped
// because a later stamp committed first.
func TestChangesWaitsForLateCommits(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)",
		map[string]string{postgres.ConfigInstallTrigger: "true"})
	ctx := context.Background()
	// So the sync user sees the superuser's open transaction.
	rb.exec(t, "GRANT pg_read_all_stats TO "+rb.user)
	if err := rb.c.Prepare(ctx, rb.target, rb.cred); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	rb.exec(t, "INSERT INTO people (id, email) VALUES (1, 'a'), (2, 'b')")
	_, cursor := rb.changesUntil(t, nil, "", 2)

	late, err := pgx.Connect(ctx, rb.base.String())
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close(ctx)
	tx, err := late.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "UPDATE people SET email = 'late' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	rb.exec(t, "UPDATE people SET email = 'early' WHERE id = 2") // a later stamp, committed first

	if page := rb.changes(t, nil, cursor, 500); len(page.Records) != 0 {
		t.Fatalf("read %v while an older transaction is open; its row would be skipped", ids(page.Records))
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ := rb.changesUntil(t, []string{"email"}, cursor, 2)
	if got := ids(recs); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("after the commit read %v, want [1 2]", got)
	}
	if recs[0].Props["email"] != "late" {
		t.Errorf("row 1 email %q, want late", recs[0].Props["email"])
	}
}

func TestSoftDelete(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"boolean", "timestamptz"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz, gone "+typ+")",
				map[string]string{postgres.ConfigDeletedColumn: "gone"})
			set := "true"
			if typ != "boolean" {
				set = "now()"
			}
			rb.exec(t, `INSERT INTO people VALUES
				(1, 'a@x', '2024-01-01 00:00:01+00', NULL),
				(2, 'b@x', '2024-01-01 00:00:02+00', `+set+`),
				(3, 'c@x', '2024-01-01 00:00:03+00', NULL)`)
			if typ == "boolean" {
				rb.exec(t, "UPDATE people SET gone = false WHERE id = 3")
			}
			page := rb.changes(t, []string{"email"}, "", 500)
			archived := map[string]bool{}
			for _, r := range page.Records {
				archived[r.ID] = r.Archived
			}
			if want := map[string]bool{"1": false, "2": true, "3": false}; !maps.Equal(archived, want) {
				t.Fatalf("archived %v, want %v", archived, want)
			}
			if !rb.get(t, "2")["2"].Archived {
				t.Error("Get: row 2 not archived")
			}
			found, err := rb.c.FindBy(context.Background(), rb.target, rb.cred, "people", "email", []string{"A@X", "b@x"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(found); !slices.Equal(got, []string{"1"}) {
				t.Errorf("FindBy found %v, want only the live row 1", got)
			}

			// Archive marks the row and bumps updated_at, so Changes reads it.
			res := rb.apply(t, connector.Write{Ref: "r", ID: "1", Archive: true}, connector.Write{Ref: "gone", ID: "99", Archive: true})
			applied(t, res)
			if n := rb.count(t, "id = 1 AND gone IS NOT NULL AND gone::text <> 'false'"); n != 1 {
				t.Fatal("row 1 not soft-deleted")
			}
			recs, _ := rb.changesUntil(t, nil, page.Cursor, 1)
			if len(recs) != 1 || recs[0].ID != "1" || !recs[0].Archived {
				t.Fatalf("after Archive read %+v", recs)
			}
		})
	}
}

func TestApplyCreatesWithOriginColumn(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, `CREATE TABLE people (id bigserial PRIMARY KEY, email text, status text NOT NULL DEFAULT 'new',
		origin text UNIQUE, updated_at timestamptz)`, map[string]string{postgres.ConfigOriginColumn: "origin"})
	first := rb.apply(t,
		connector.Write{Ref: "a", IdempotencyKey: "c1-1", Props: map[string]string{"email": "a@x"}},
		connector.Write{Ref: "b", IdempotencyKey: "c1-2", Props: map[string]string{"email": "b@x", "status": "lead"}},
	)
	applied(t, first)
	for _, r := range first {
		if !r.Created || r.UpdatedAt.IsZero() {
			t.Errorf("result %+v: want Created and UpdatedAt", r)
		}
	}
	// Changed on the database side before the replay, which lacks status.
	rb.exec(t, "UPDATE people SET status = 'edited' WHERE origin = 'c1-1'")
	// A replay (with a newer value), and the same key twice in one batch.
	again := rb.apply(t,
		connector.Write{Ref: "a", IdempotencyKey: "c1-1", Props: map[string]string{"email": "a2@x"}},
		connector.Write{Ref: "b", IdempotencyKey: "c1-2", Props: map[string]string{"email": "b@x", "status": "lead"}},
		connector.Write{Ref: "c", IdempotencyKey: "c1-3", Props: map[string]string{"email": "c@x"}},
		connector.Write{Ref: "c'", IdempotencyKey: "c1-3", Props: map[string]string{"email": "c@x"}},
	)
	applied(t, again)
	if again[0].ID != first[0].ID || again[1].ID != first[1].ID || again[2].ID != again[3].ID {
		t.Fatalf("replays made new rows: first %v %v, again %v %v %v %v",
			first[0].ID, first[1].ID, again[0].ID, again[1].ID, again[2].ID, again[3].ID)
	}
	if n := rb.count(t, "true"); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
	got := rb.get(t, first[0].ID, first[1].ID)
	if a := got[first[0].ID].Props; a["email"] != "a2@x" || a["status"] != "edited" || a["origin"] != "c1-1" {
		t.Errorf("row a %v: want the replay's email, the status it had, the idempotency key", a)
	}
	if c := rb.get(t, again[2].ID)[again[2].ID].Props; c["status"] != "new" {
		t.Errorf("row c %v: want the default status", c)
	}

	// A column added since the table was described is written at once.
	rb.exec(t, "ALTER TABLE people ADD COLUMN phone text")
	applied(t, rb.apply(t, connector.Write{Ref: "p", ID: first[0].ID, Props: map[string]string{"phone": "+1 555"}}))
	if rb.count(t, "phone = '+1 555'") != 1 {
		t.Error("phone not written")
	}
	// And one dropped since is no longer written to: the mapping that
	// names it is wrong, whichever record it is sent for.
	rb.exec(t, "ALTER TABLE people DROP COLUMN phone")
	_, err := rb.c.Apply(context.Background(), rb.target, rb.cred, "people",
		[]connector.Write{{Ref: "p", ID: first[0].ID, Props: map[string]string{"phone": "+1 556"}}})
	if e := checkErr(t, err, rb.pw, connector.ReasonMappingInvalid, true); !strings.Contains(e.Message, `"phone"`) {
		t.Errorf("write to a dropped column: %v, want mapping_invalid naming it", err)
	}
	if b := got[first[1].ID].Props; b["status"] != "lead" {
		t.Errorf("row b %v", b)
	}
}

func TestApplyCreatesKeyFromDefault(t *testing.T) {
	t.Parallel()
	for _, ddl := range []string{
		"CREATE TABLE people (id bigserial PRIMARY KEY, email text, updated_at timestamptz)",
		"CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text, updated_at timestamptz)",
		"CREATE TABLE people (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text, updated_at timestamptz)",
	} {
		t.Run(strings.Fields(ddl)[4], func(t *testing.T) {
			t.Parallel()
			rb := setupRecords(t, ddl, nil)
			var writes []connector.Write
			for i := range 20 {
				writes = append(writes, connector.Write{Ref: strconv.Itoa(i), IdempotencyKey: "k" + strconv.Itoa(i),
					Props: map[string]string{"email": fmt.Sprintf("p%d@x", i)}})
			}
			res := rb.apply(t, writes...)
			applied(t, res)
			got := rb.get(t, ids(resultsAsRecords(res))...)
			for i, r := range res {
				if got[r.ID].Props["email"] != writes[i].Props["email"] {
					t.Fatalf("write %d got id %s, whose row has email %q, want %q", i, r.ID, got[r.ID].Props["email"], writes[i].Props["email"])
				}
			}
		})
	}
}

func resultsAsRecords(res []connector.WriteResult) []connector.Record {
	out := make([]connector.Record, len(res))
	for i, r := range res {
		out[i].ID = r.ID
	}
	return out
}

func TestApplyCreatesKeyFromIdempotencyKey(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id text PRIMARY KEY, email text, updated_at timestamptz)", nil)
	w := connector.Write{Ref: "a", IdempotencyKey: "c7-42", Props: map[string]string{"email": "a@x"}}
	res := rb.apply(t, w)
	applied(t, res)
	if res[0].ID != "c7-42" {
		t.Fatalf("id %q, want the idempotency key", res[0].ID)
	}
	w.Props = map[string]string{"email": "a2@x"}
	applied(t, rb.apply(t, w))
	if n := rb.count(t, "id = 'c7-42' AND email = 'a2@x'"); n != 1 || rb.count(t, "true") != 1 {
		t.Fatal("a replay did not update the one row")
	}
}

func TestApplyUpdates(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, `CREATE TABLE people (id bigint PRIMARY KEY, email text, name text, score int DEFAULT 7,
		updated_at timestamptz)`, nil)
	rb.exec(t, "INSERT INTO people VALUES (1, 'a@x', 'A', 1, '2020-01-01'), (2, 'b@x', 'B', 2, '2020-01-01'), (3, 'c@x', 'C', 3, '2020-01-01')")
	before := time.Now().Add(-time.Second)
	res := rb.apply(t,
		connector.Write{Ref: "1", ID: "1", Props: map[string]string{"email": "a2@x"}},               // name untouched
		connector.Write{Ref: "2", ID: "2", Props: map[string]string{"name": "B2", "score": ""}},     // email untouched, score NULL
		connector.Write{Ref: "3", ID: "3", Props: map[string]string{"email": "c2@x", "name": "C2"}}, //
		connector.Write{Ref: "9", ID: "9", Props: map[string]string{"email": "new@x"}},              // gone: upserted, score default
	)
	applied(t, res)
	for _, r := range res {
		if r.UpdatedAt.Before(before) || r.Created {
			t.Errorf("result %+v: want a fresh UpdatedAt and not Created", r)
		}
	}
	want := map[string]map[string]string{
		"1": {"email": "a2@x", "name": "A", "score": "1"},
		"2": {"email": "b@x", "name": "B2", "score": ""},
		"3": {"email": "c2@x", "name": "C2", "score": "3"},
		"9": {"email": "new@x", "name": "", "score": "7"},
	}
	got := rb.get(t, "1", "2", "3", "9")
	for id, w := range want {
		for k, v := range w {
			if got[id].Props[k] != v {
				t.Errorf("row %s %s = %q, want %q", id, k, got[id].Props[k], v)
			}
		}
		if !got[id].UpdatedAt.After(before) {
			t.Errorf("row %s updated_at %v not set by the write", id, got[id].UpdatedAt)
		}
	}
	// Two writes to one row in a batch apply in order.
	applied(t, rb.apply(t,
		connector.Write{Ref: "x", ID: "1", Props: map[string]string{"name": "first"}},
		connector.Write{Ref: "y", ID: "1", Props: map[string]string{"name": "second"}},
	))
	if got := rb.get(t, "1")["1"].Props["name"]; got != "second" {
		t.Errorf("name %q after two writes, want second", got)
	}
}

func TestApplyArchiveDeletes(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)", nil)
	rb.exec(t, "INSERT INTO people VALUES (1, 'a', now()), (2, 'b', now())")
	res := rb.apply(t, connector.Write{Ref: "1", ID: "1", Archive: true}, connector.Write{Ref: "7", ID: "7", Archive: true})
	applied(t, res)
	if rb.count(t, "id = 1") != 0 || rb.count(t, "id = 2") != 1 {
		t.Fatal("archive without a deleted column must delete exactly the row")
	}
}

func TestApplyRejectsOneBadValue(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, amount numeric, updated_at timestamptz)", nil)
	rb.exec(t, "INSERT INTO people VALUES (1, 'a', 1, now())")
	res := rb.apply(t,
		connector.Write{Ref: "ok", ID: "1", Props: map[string]string{"amount": "12.50"}},
		connector.Write{Ref: "bad", ID: "2", Props: map[string]string{"amount": "abc"}},
		connector.Write{Ref: "badid", ID: "x", Props: map[string]string{"amount": "1"}},
		connector.Write{Ref: "new", IdempotencyKey: "4", Props: map[string]string{"amount": "-3"}},
	)
	for _, i := range []int{0, 3} {
		if res[i].Err != nil || res[i].ID == "" {
			t.Errorf("write %s: %+v, want applied", res[i].Ref, res[i])
		}
	}
	for _, i := range []int{1, 2} {
		e := res[i].Err
		if e == nil || e.Reason != postgres.ReasonRecordRejected || !e.Definite {
			t.Fatalf("write %s: %+v, want a definite %s", res[i].Ref, res[i], postgres.ReasonRecordRejected)
		}
	}
	if m := res[1].Err.Message; !strings.Contains(m, `"amount"`) || !strings.Contains(m, `"abc"`) {
		t.Errorf("message %q should name the column and the value", m)
	}
	if rb.count(t, "id = 1 AND amount = 12.50") != 1 || rb.count(t, "id = 4 AND amount = -3") != 1 || rb.count(t, "true") != 2 {
		t.Error("the good writes were not applied alone")
	}
}

func TestApplyIsolatesRowsTheDatabaseRefuses(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, `CREATE TABLE people (id bigint PRIMARY KEY, email text UNIQUE, name text NOT NULL DEFAULT '',
		updated_at timestamptz)`, nil)
	rb.exec(t, "INSERT INTO people VALUES (1, 'taken@x', 'A', now()), (2, 'b@x', 'B', now())")
	var writes []connector.Write
	for i := 10; i < 40; i++ {
		writes = append(writes, connector.Write{Ref: strconv.Itoa(i), IdempotencyKey: strconv.Itoa(i), Props: map[string]string{"email": fmt.Sprintf("p%d@x", i)}})
	}
	writes[17].Props["email"] = "taken@x"                                                                       // unique violation on a create
	writes = append(writes, connector.Write{Ref: "upd", ID: "2", Props: map[string]string{"email": "taken@x"}}) // and on an update
	writes = append(writes, connector.Write{Ref: "null", ID: "2", Props: map[string]string{"name": ""}})        // NOT NULL
	writes = append(writes, connector.Write{Ref: "fine", ID: "1", Props: map[string]string{"name": "A2"}})
	res := rb.apply(t, writes...)
	bad := map[string]bool{"27": true, "upd": true, "null": true}
	for _, r := range res {
		if bad[r.Ref] {
			if r.Err == nil || r.Err.Reason != postgres.ReasonRecordRejected {
				t.Errorf("write %s: %+v, want rejected", r.Ref, r)
			} else {
				t.Logf("write %s: %s", r.Ref, r.Err.Message)
			}
			continue
		}
		if r.Err != nil || r.ID == "" {
			t.Errorf("write %s: %+v, want applied", r.Ref, r)
		}
	}
	if n := rb.count(t, "true"); n != 2+29 {
		t.Errorf("%d rows, want 31", n)
	}
	if rb.count(t, "id = 1 AND name = 'A2'") != 1 || rb.count(t, "id = 2 AND email = 'b@x' AND name = 'B'") != 1 {
		t.Error("rows 1 and 2 are not as the applied writes left them")
	}
}

func TestGetAndFindBy(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)", nil)
	rb.exec(t, "INSERT INTO people VALUES (1, 'Ada@Example.com', now()), (2, 'bob@example.com', now()), (3, NULL, now())")
	got := rb.get(t, "1", "3", "404", "not-a-number")
	if len(got) != 2 || got["1"].Props["email"] != "Ada@Example.com" || got["3"].Props["email"] != "" {
		t.Fatalf("Get: %+v", got)
	}
	found, err := rb.c.FindBy(context.Background(), rb.target, rb.cred, "people", "email",
		[]string{"ada@example.COM", "nobody@x", ""}, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != "1" || len(found[0].Props) != 1 {
		t.Fatalf("FindBy: %+v", found)
	}
	// A field a mapping names is the mapping's fault, not the connection's.
	_, err = rb.c.FindBy(context.Background(), rb.target, rb.cred, "people", "mail", []string{"x"}, nil)
	var e *connector.Error
	if !errors.As(err, &e) || e.Reason != connector.ReasonMappingInvalid || !strings.Contains(e.Message, `has no field "mail"; did you mean email?`) {
		t.Errorf("FindBy on a missing column: %v, want %s", err, connector.ReasonMappingInvalid)
	}
}

func TestTypesRoundTrip(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, `CREATE TABLE people (id bigint PRIMARY KEY, updated_at timestamptz,
		n numeric, i int, f float8, ts timestamptz, tl timestamp, d date, b boolean, s text, v varchar(5), u uuid, j jsonb)`, nil)
	values := []map[string]string{
		{"n": "12345678901234567890.123456789", "i": "-42", "f": "0.1", "ts": "2024-05-01T09:30:00.123Z", "tl": "1999-12-31T23:59:59.999Z",
			"d": "2024-02-29", "b": "true", "s": "héllo, \"world\"", "v": "abcde", "u": "0b5c5c5e-7c43-4b7d-9e43-3f9c2b7a1d2e", "j": `{"a": 1}`},
		{"n": "", "i": "", "f": "", "ts": "", "tl": "", "d": "", "b": "", "s": "", "v": "", "u": "", "j": ""},
		{"n": "0.5", "i": "7", "f": "1e+21", "ts": "2024-05-01T11:30:00+02:00", "tl": "2024-05-01", "d": "2024-05-01T00:00:00Z",
			"b": "false", "s": "x", "v": "é", "u": "0B5C5C5E-7C43-4B7D-9E43-3F9C2B7A1D2E", "j": "[]"},
	}
	want := []map[string]string{values[0], values[1], {"n": "0.5", "i": "7", "f": "1000000000000000000000", "ts": "2024-05-01T09:30:00.000Z",
		"tl": "2024-05-01T00:00:00.000Z", "d": "2024-05-01", "b": "false", "s": "x", "v": "é", "u": "0b5c5c5e-7c43-4b7d-9e43-3f9c2b7a1d2e", "j": "[]"}}
	var writes []connector.Write
	for i, v := range values {
		writes = append(writes, connector.Write{Ref: strconv.Itoa(i), ID: strconv.Itoa(i + 1), Props: v})
	}
	applied(t, rb.apply(t, writes...))
	got := rb.get(t, "1", "2", "3")
	for i := range values {
		props := got[strconv.Itoa(i+1)].Props
		for k, v := range want[i] {
			if props[k] != v {
				t.Errorf("row %d: %s = %q, want %q", i+1, k, props[k], v)
			}
		}
	}
	// Changes renders the same.
	recs, _ := rb.changesUntil(t, []string{"ts", "d"}, "", 3)
	for _, r := range recs {
		if i, _ := strconv.Atoi(r.ID); r.Props["ts"] != want[i-1]["ts"] || r.Props["d"] != want[i-1]["d"] {
			t.Errorf("Changes: record %s props %v", r.ID, r.Props)
		}
	}

	// Values a column cannot hold, each rejected alone.
	bad := map[string]string{"i": "1.5", "f": "x", "ts": "yesterday", "tl": "2024-13-01", "d": "2024-02-30",
		"b": "maybe", "v": "toolong", "u": "nope", "j": "{", "n": "1,5"}
	writes = writes[:0]
	for col, v := range bad {
		writes = append(writes, connector.Write{Ref: col, ID: "1", Props: map[string]string{col: v}})
	}
	for _, r := range rb.apply(t, writes...) {
		if r.Err == nil || r.Err.Reason != postgres.ReasonRecordRejected || !strings.Contains(r.Err.Message, `"`+r.Ref+`"`) {
			t.Errorf("%s = %q: %+v, want rejected naming the column", r.Ref, bad[r.Ref], r)
		}
	}
}

func TestRecordSyncErrors(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint, email text, updated_at date)", nil)
	ctx := context.Background()
	_, err := rb.c.Changes(ctx, rb.target, rb.cred, "people", nil, "", 10)
	e := checkErr(t, err, rb.pw, postgres.ReasonColumnUnsupported, true)
	if !strings.Contains(e.Message, "timestamptz") {
		t.Errorf("message %q should say the type needed", e.Message)
	}

	rb.exec(t, "ALTER TABLE people ALTER updated_at TYPE timestamptz")
	_, err = rb.c.Changes(ctx, rb.target, rb.cred, "people", nil, "", 10)
	if err != nil {
		t.Fatalf("Changes after the fix: %v", err) // the failed description was not kept
	}
	_, err = rb.c.Apply(ctx, rb.target, rb.cred, "people", []connector.Write{{Ref: "a", ID: "1"}})
	e = checkErr(t, err, rb.pw, postgres.ReasonColumnUnsupported, true)
	if !strings.Contains(e.Message, "CREATE UNIQUE INDEX") {
		t.Errorf("message %q should say how to fix it", e.Message)
	}

	_, err = rb.c.Changes(ctx, rb.target, rb.cred, "people", []string{"phone"}, "", 10)
	e = checkErr(t, err, rb.pw, connector.ReasonMappingInvalid, true)
	if want := rb.schema + `.people has no field "phone". It has: id, email, updated_at.`; e.Message != want || e.Detail != "phone on "+rb.schema+".people" {
		t.Errorf("a mapped column that is missing: %q (%s), want %q", e.Message, e.Detail, want)
	}

	if _, err := rb.c.Changes(ctx, rb.target, rb.cred, "people", nil, "garbage", 10); !errors.Is(err, postgres.ErrInvalidCursor) {
		t.Errorf("bad cursor: %v", err)
	}

	bad := rb.target
	bad.Config = maps.Clone(rb.target.Config)
	bad.Config[postgres.ConfigDeletedColumn] = "id"
	if _, err := rb.c.Changes(ctx, bad, rb.cred, "people", nil, "", 10); !errors.Is(err, postgres.ErrInvalidSettings) {
		t.Errorf("deleted_column = key column: %v", err)
	}

	// A login that fails never shows the password.
	other := rb.credential("nobody_"+randHex(4), rb.pw, nil)
	_, err = rb.c.Apply(ctx, rb.target, other, "people", []connector.Write{{Ref: "a", ID: "1"}})
	checkErr(t, err, rb.pw, connector.ReasonAPIKeyInvalid, true)
}

// setupNotOwner is setupRecords of a table the sync's role does not own:
// it holds only SELECT, INSERT and UPDATE on it.
func setupNotOwner(t *testing.T, config map[string]string) *recordsBundle {
	t.Helper()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)", config)
	rb.exec(t, "ALTER TABLE people OWNER TO CURRENT_USER")
	rb.exec(t, "GRANT SELECT, INSERT, UPDATE ON people TO "+rb.user)
	return rb
}

func TestPrepareWithoutPrivilege(t *testing.T) {
	t.Parallel()
	rb := setupNotOwner(t, map[string]string{postgres.ConfigInstallTrigger: "true"})
	err := rb.c.Prepare(context.Background(), rb.target, rb.cred)
	e := checkErr(t, err, rb.pw, connector.ReasonScopesMissing, true)
	if !strings.Contains(e.Message, "CREATE TRIGGER") {
		t.Errorf("message %q should hold the SQL to run", e.Message)
	}
}

// TestMappedColumnsAreChecked: Fields describes the table as it is now when
// asked fresh, and a write of a column the table lacks fails the whole call
// as mapping_invalid, naming the column, instead of refusing every record.
func TestMappedColumnsAreChecked(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, first_name text, updated_at timestamptz)", nil)
	ctx := context.Background()
	s, err := rb.c.Fields(ctx, rb.target, rb.cred, "ignored", false)
	if want := []string{"id", "email", "first_name", "updated_at"}; err != nil || s.Object != rb.schema+".people" || !slices.Equal(s.Fields, want) {
		t.Fatalf("Fields: %+v %v, want %v", s, err, want)
	}
	if err := connector.CheckFields(ctx, rb.c, rb.target, rb.cred, "people", []string{"email", "first_name"}, false); err != nil {
		t.Fatalf("CheckFields of columns the table has: %v", err)
	}
	// A column added since the table was described is found: a field
	// missing from what was learned earlier is looked up again.
	rb.exec(t, "ALTER TABLE people ADD phone text")
	if err := connector.CheckFields(ctx, rb.c, rb.target, rb.cred, "people", []string{"phone"}, false); err != nil {
		t.Fatalf("CheckFields of a column added since: %v", err)
	}

	rb.changes(t, []string{"email", "first_name"}, "", 10) // describes the table

	rb.exec(t, "ALTER TABLE people RENAME first_name TO given_name")
	// A read by the description learned before the rename fails, and says
	// why at once rather than as a transient failure.
	_, err = rb.c.Changes(ctx, rb.target, rb.cred, "people", []string{"email", "first_name"}, "", 10)
	checkErr(t, err, rb.pw, connector.ReasonMappingInvalid, true)
	err = connector.CheckFields(ctx, rb.c, rb.target, rb.cred, "people", []string{"email", "first_name"}, true)
	e := checkErr(t, err, rb.pw, connector.ReasonMappingInvalid, true)
	if !strings.Contains(e.Message, `has no field "first_name"`) || !strings.Contains(e.Message, "given_name") {
		t.Errorf("CheckFields after a rename: %q", e.Message)
	}
	_, err = rb.c.Apply(ctx, rb.target, rb.cred, "people", []connector.Write{
		{Ref: "a", Props: map[string]string{"email": "a@example.com", "first_name": "Ada"}},
		{Ref: "b", ID: "1", Props: map[string]string{"first_name": "Bob"}},
	})
	e = checkErr(t, err, rb.pw, connector.ReasonMappingInvalid, true)
	if e.Detail != "first_name on "+rb.schema+".people" {
		t.Errorf("Apply of a missing column: detail %q", e.Detail)
	}
	var n int
	if err := rb.admin.QueryRow(ctx, "SELECT count(*) FROM people").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows after a refused Apply (%v)", n, err)
	}
}

// With the trigger, the horizon waits only for writers in flight: a plain
// SQL change is read by the very next call even under the default
// commit_lag, and a writer open across that call is waited for, not
// skipped.
func TestChangesWithTriggerNeedNoLag(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz, gone boolean NOT NULL DEFAULT false)",
		map[string]string{postgres.ConfigInstallTrigger: "true", postgres.ConfigDeletedColumn: "gone"})
	delete(rb.target.Config, postgres.ConfigCommitLag) // the default, 5s
	ctx := context.Background()
	if err := rb.c.Prepare(ctx, rb.target, rb.cred); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	writer := rb.writer(t)
	sql := func(q string) {
		t.Helper()
		if _, err := writer.Exec(ctx, "SET search_path = "+rb.schema+"; "+q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sql("INSERT INTO people (id, email) VALUES (1, 'a'), (2, 'b')")
	page := rb.changes(t, []string{"email"}, "", 500)
	if got := ids(page.Records); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("first read %v, want [1 2] at once", got)
	}
	cursor := page.Cursor
	for _, step := range []struct{ sql, want string }{
		{"UPDATE people SET email = 'a2' WHERE id = 1", "1"},
		{"INSERT INTO people (id, email) VALUES (3, 'c')", "3"},
		{"UPDATE people SET gone = true WHERE id = 2", "2"},
	} {
		sql(step.sql)
		page := rb.changes(t, []string{"email"}, cursor, 500)
		if got := ids(page.Records); !slices.Equal(got, []string{step.want}) {
			t.Fatalf("after %s read %v, want [%s] at once", step.sql, got, step.want)
		}
		cursor = page.Cursor
	}
	if page := rb.changes(t, nil, cursor, 500); len(page.Records) != 0 || page.More {
		t.Fatalf("read %v again", ids(page.Records))
	}

	// A transaction of the same role, open across a read.
	tx, err := writer.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "UPDATE people SET email = 'late' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	rb.exec(t, "UPDATE people SET email = 'early' WHERE id = 3") // a later stamp, committed first
	page = rb.changes(t, nil, cursor, 500)
	if len(page.Records) != 0 {
		t.Fatalf("read %v while an older writer is open; its row would be skipped", ids(page.Records))
	}
	cursor = page.Cursor
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	page = rb.changes(t, []string{"email"}, cursor, 500)
	if got := ids(page.Records); !slices.Equal(got, []string{"1", "3"}) {
		t.Fatalf("after the commit read %v, want [1 3]", got)
	}
	if page.Records[0].Props["email"] != "late" {
		t.Errorf("row 1 email %q, want late", page.Records[0].Props["email"])
	}
}

// Without the trigger applications stamp rows themselves, so commit_lag
// still holds the horizon back.
func TestChangesWithoutTriggerKeepTheLag(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)",
		map[string]string{postgres.ConfigCommitLag: "1h"})
	rb.exec(t, "INSERT INTO people (id, email, updated_at) VALUES (1, 'a', now()), (2, 'b', now() - interval '2 hours')")
	page := rb.changes(t, nil, "", 500)
	if got := ids(page.Records); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("read %v, want only [2], older than commit_lag", got)
	}
}

// With the trigger, a wait on the table ends when a plain SQL write
// commits after it began, says so at once when rows already follow the
// cursor, and otherwise runs out saying nothing moved. A table without the
// trigger cannot be waited on.
func TestWaitForChanges(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)",
		map[string]string{postgres.ConfigInstallTrigger: "true"})
	ctx := context.Background()
	wait := func(cursor string, d time.Duration) (bool, bool) {
		t.Helper()
		moved, ok, err := rb.c.WaitForChanges(ctx, rb.target, rb.cred, "people", cursor, d)
		if err != nil {
			t.Fatalf("WaitForChanges: %v", err)
		}
		return moved, ok
	}
	if _, ok := wait("", time.Second); ok {
		t.Fatal("waited on a table without the trigger")
	}
	if err := rb.c.Prepare(ctx, rb.target, rb.cred); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if moved, ok := wait("", time.Second); !ok || moved {
		t.Fatalf("empty table: moved %v ok %v, want a wait that runs out", moved, ok)
	}
	rb.exec(t, "INSERT INTO people (id, email) VALUES (1, 'a')")
	if moved, ok := wait("", 10*time.Second); !ok || !moved {
		t.Fatalf("a row follows the cursor: moved %v ok %v", moved, ok)
	}
	page := rb.changes(t, nil, "", 10)
	if moved, ok := wait(page.Cursor, time.Second); !ok || moved {
		t.Fatalf("nothing after the cursor: moved %v ok %v", moved, ok)
	}
	got := make(chan bool, 1)
	go func() {
		moved, _, _ := rb.c.WaitForChanges(ctx, rb.target, rb.cred, "people", page.Cursor, 10*time.Second)
		got <- moved
	}()
	time.Sleep(300 * time.Millisecond) // let it start waiting
	rb.exec(t, "UPDATE people SET email = 'b' WHERE id = 1")
	if !<-got {
		t.Fatal("a wait across an UPDATE ended without it")
	}
}

// A writer into one partition of a partitioned table locks only that
// partition; it must hold the horizon back all the same.
func TestChangesWaitForAWriterIntoAPartition(t *testing.T) {
	t.Parallel()
	rb := setupRecords(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz) PARTITION BY RANGE (id); "+
		"CREATE TABLE people_low PARTITION OF people FOR VALUES FROM (0) TO (1000); "+
		"CREATE TABLE people_high PARTITION OF people FOR VALUES FROM (1000) TO (MAXVALUE)",
		map[string]string{postgres.ConfigInstallTrigger: "true"})
	delete(rb.target.Config, postgres.ConfigCommitLag) // the default, 5s
	rb.exec(t, "GRANT ALL ON people_low, people_high TO "+rb.user)
	ctx := context.Background()
	if err := rb.c.Prepare(ctx, rb.target, rb.cred); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	writer := rb.writer(t)
	rb.exec(t, "INSERT INTO people (id, email) VALUES (1, 'a')")
	cursor := rb.changes(t, nil, "", 500).Cursor
	tx, err := writer.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO "+rb.schema+".people_low (id, email) VALUES (5, 'late')"); err != nil {
		t.Fatal(err)
	}
	rb.exec(t, "INSERT INTO people (id, email) VALUES (1005, 'early')") // a later stamp, committed first
	page := rb.changes(t, nil, cursor, 500)
	if len(page.Records) != 0 {
		t.Fatalf("read %v while a writer into a partition is open; its row would be skipped", ids(page.Records))
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	page = rb.changes(t, nil, page.Cursor, 500)
	if got := ids(page.Records); !slices.Equal(got, []string{"5", "1005"}) {
		t.Fatalf("after the commit read %v, want [5 1005]", got)
	}
}

package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

func contact(props map[string]string) store.Record {
	return store.Record{Type: "contacts", Props: props, CreatedAt: when(0), UpdatedAt: when(time.Second)}
}

func storedRecord(r store.Record) store.Record {
	r.CreatedAt, r.UpdatedAt, r.ArchivedAt = stored(r.CreatedAt), stored(r.UpdatedAt), stored(r.ArchivedAt)
	return r
}

func storedRecords(rs []store.Record) []store.Record {
	out := make([]store.Record, len(rs))
	for i, r := range rs {
		out[i] = storedRecord(r)
	}
	return out
}

func insert(t *testing.T, s store.Store, recs ...store.Record) []store.Record {
	t.Helper()
	return put(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) { return tx.InsertRecords(ctx, recs) })
}

func ids(rs []store.Record) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func byID(a, b store.Record) int { return int(a.ID - b.ID) }

func testInsertRecords(t *testing.T, s store.Store) {
	in := []store.Record{
		contact(map[string]string{"email": "a@example.com", "firstname": "Ann"}),
		contact(nil),
		{Type: "companies", Props: map[string]string{"name": "Acme", "note": "quote \" and unicode ü"}, CreatedAt: when(0), UpdatedAt: when(0)},
		{Type: "contacts", Props: map[string]string{"email": "old@example.com"}, CreatedAt: when(0), UpdatedAt: when(time.Hour),
			Archived: true, ArchivedAt: when(time.Hour)},
	}
	first := insert(t, s, in...)
	second := insert(t, s,
		store.Record{Type: "companies", Props: map[string]string{"name": "Beta"}, CreatedAt: when(0), UpdatedAt: when(0)},
		contact(map[string]string{"email": "c@example.com"}))
	all := append(slices.Clone(first), second...)

	// Ids are positive, increase in input order across calls and are never
	// shared between object types.
	for i, r := range all {
		if r.ID <= 0 || (i > 0 && r.ID <= all[i-1].ID) {
			t.Fatalf("record ids %v: want positive and increasing in input order", ids(all))
		}
	}
	want := storedRecords(in)
	for i := range want {
		want[i].ID = first[i].ID
	}
	if diff := cmp.Diff(want, first, opts); diff != "" {
		t.Errorf("InsertRecords does not return the stored value (-stored +returned):\n%s", diff)
	}
	if got := insert(t, s); len(got) != 0 {
		t.Errorf("InsertRecords() = %v, want nothing", got)
	}

	// Records skips missing ids and ids of another type, and sees archived ones.
	missing := all[len(all)-1].ID + 100
	got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
		return tx.Records(ctx, "contacts", []int64{want[3].ID, missing, want[2].ID, want[0].ID, want[1].ID})
	})
	slices.SortFunc(got, byID)
	if diff := cmp.Diff([]store.Record{want[0], want[1], want[3]}, got, opts); diff != "" {
		t.Errorf("Records(contacts) (-want +got):\n%s", diff)
	}
	got = get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
		return tx.Records(ctx, "companies", ids(all))
	})
	slices.SortFunc(got, byID)
	if diff := cmp.Diff([]int64{all[2].ID, all[4].ID}, ids(got)); diff != "" {
		t.Errorf("Records(companies) ids (-want +got):\n%s", diff)
	}
	for _, idList := range [][]int64{nil, {missing}} {
		got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
			return tx.Records(ctx, "contacts", idList)
		})
		if len(got) != 0 {
			t.Errorf("Records(contacts, %v) = %v, want none", idList, got)
		}
	}
}

func testUpdateRecords(t *testing.T, s store.Store) {
	recs := insert(t, s,
		contact(map[string]string{"email": "a@example.com", "firstname": "Ann"}),
		contact(map[string]string{"email": "b@example.com"}),
		contact(map[string]string{"email": "c@example.com"}))

	a, b := recs[0], recs[1]
	a.Props = map[string]string{"email": "a@example.org", "lastname": "Lee"}
	a.UpdatedAt = when(time.Hour)
	b.Archived, b.ArchivedAt, b.UpdatedAt = true, when(2*time.Hour), when(2*time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecords(ctx, []store.Record{a, b}) })

	got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
		return tx.Records(ctx, "contacts", ids(recs))
	})
	slices.SortFunc(got, byID)
	want := storedRecords([]store.Record{a, b, recs[2]})
	// Creation time is not the update's to change.
	want[0].CreatedAt, want[1].CreatedAt = stored(recs[0].CreatedAt), stored(recs[1].CreatedAt)
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("after UpdateRecords (-want +got):\n%s", diff)
	}

	// Restoring clears the archive flag.
	b.Archived, b.ArchivedAt = false, time.Time{}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecords(ctx, []store.Record{b}) })
	got = get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
		return tx.Records(ctx, "contacts", []int64{b.ID})
	})
	if len(got) != 1 || got[0].Archived || !got[0].ArchivedAt.IsZero() {
		t.Errorf("restored record = %+v, want live with zero ArchivedAt", got)
	}

	ghost := contact(map[string]string{"email": "ghost@example.com"})
	ghost.ID = recs[2].ID + 100
	wrongType := recs[2]
	wrongType.Type = "companies"
	for name, r := range map[string]store.Record{"missing id": ghost, "id of another type": wrongType} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
				return tx.UpdateRecords(ctx, []store.Record{r})
			})
		})
	}
}

func testListRecords(t *testing.T, s store.Store) {
	var in []store.Record
	for i := range 7 {
		r := contact(map[string]string{"n": strings.Repeat("x", i)})
		if i%3 == 1 {
			r.Archived, r.ArchivedAt = true, when(time.Minute)
		}
		in = append(in, r)
		in = append(in, store.Record{Type: "companies", Props: map[string]string{}, CreatedAt: when(0), UpdatedAt: when(0)})
	}
	recs := insert(t, s, in...)
	var live, archived []int64
	for _, r := range recs {
		switch {
		case r.Type != "contacts":
		case r.Archived:
			archived = append(archived, r.ID)
		default:
			live = append(live, r.ID)
		}
	}

	for _, tc := range []struct {
		archived bool
		want     []int64
	}{{false, live}, {true, archived}} {
		var got []int64
		var after int64
		for range len(recs) {
			page := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
				return tx.ListRecords(ctx, "contacts", tc.archived, after, 2)
			})
			if len(page) == 0 {
				break
			}
			if len(page) > 2 {
				t.Fatalf("page of %d records, limit 2", len(page))
			}
			got = append(got, ids(page)...)
			after = page[len(page)-1].ID
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ListRecords(archived=%v) ids paged by 2 (-want +got):\n%s", tc.archived, diff)
		}
	}
	// A page holds whole records.
	page := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
		return tx.ListRecords(ctx, "contacts", false, 0, 1)
	})
	if diff := cmp.Diff(storedRecords(recs[:1]), page, opts); diff != "" {
		t.Errorf("ListRecords first page (-want +got):\n%s", diff)
	}
}

func testRecordsByValue(t *testing.T, s store.Store) {
	recs := insert(t, s,
		contact(map[string]string{"email": "Ann@Example.com"}),
		contact(map[string]string{"email": "bob@example.com"}),
		store.Record{Type: "contacts", Props: map[string]string{"email": "ann@example.com"}, CreatedAt: when(0), UpdatedAt: when(0),
			Archived: true, ArchivedAt: when(0)},
		store.Record{Type: "companies", Props: map[string]string{"email": "ann@example.com"}, CreatedAt: when(0), UpdatedAt: when(0)},
		contact(map[string]string{"other": "ann@example.com"}),
		contact(map[string]string{"email": "ann@example.co"}),
		contact(map[string]string{"other": "Äpfel \u212Aelvin"}),
	)
	for _, tc := range []struct {
		name     string
		property string
		values   []string
		want     []int64
	}{
		{"any case", "email", []string{"ANN@example.COM"}, []int64{recs[0].ID}},
		{"several values", "email", []string{"nobody@example.com", "Bob@Example.com", "ann@example.com"}, []int64{recs[0].ID, recs[1].ID}},
		{"no match", "email", []string{"carol@example.com"}, nil},
		{"no values", "email", nil, nil},
		{"other property", "other", []string{"Ann@Example.com"}, []int64{recs[4].ID}},
		// Case is folded for ASCII letters only, on every backend alike:
		// folding the rest is the caller's (crm folds emails when storing
		// and looking them up), else backends would answer differently.
		{"non-ASCII as stored", "other", []string{"ÄPFEL \u212AELVIN"}, []int64{recs[6].ID}},
		{"non-ASCII in another case", "other", []string{"äpfel \u212Aelvin"}, nil},
		{"Kelvin sign is not k", "other", []string{"Äpfel kelvin"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
				return tx.RecordsByValue(ctx, "contacts", tc.property, tc.values)
			})
			slices.SortFunc(got, byID)
			if diff := cmp.Diff(tc.want, ids(got), opts); diff != "" {
				t.Errorf("RecordsByValue(%s, %q) ids (-want +got):\n%s", tc.property, tc.values, diff)
			}
		})
	}
	got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
		return tx.RecordsByValue(ctx, "contacts", "email", []string{"bob@example.com"})
	})
	if diff := cmp.Diff(storedRecords(recs[1:2]), got, opts); diff != "" {
		t.Errorf("RecordsByValue record (-want +got):\n%s", diff)
	}
}

func testEnsureIndex(t *testing.T, s store.Store) {
	ann := insert(t, s, contact(map[string]string{"email": "Ann@Example.com"}))[0]
	insert(t, s, contact(nil), contact(map[string]string{"firstname": "no email"}))

	// Idempotent, plain and unique alike, within and across transactions.
	for range 2 {
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			for _, unique := range []bool{false, true, true, false} {
				if err := tx.EnsureIndex(ctx, "contacts", "email", unique); err != nil {
					return err
				}
			}
			return nil
		})
	}

	dup := func(archived bool) store.Record {
		r := contact(map[string]string{"email": "ANN@EXAMPLE.COM"})
		r.Archived = archived
		return r
	}
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertRecords(ctx, []store.Record{dup(false)})
		return err
	})
	// Archived duplicates, records without the property and other object
	// types are outside the constraint.
	archived := insert(t, s, dup(true), dup(true))
	insert(t, s, contact(nil), contact(map[string]string{"firstname": "still no email"}))
	insert(t, s, store.Record{Type: "companies", Props: map[string]string{"email": "ann@example.com"}, CreatedAt: when(0), UpdatedAt: when(0)})

	// Restoring an archived duplicate, or moving a live record onto the
	// value, collides.
	restored := archived[0]
	restored.Archived = false
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateRecords(ctx, []store.Record{restored})
	})
	other := insert(t, s, contact(map[string]string{"email": "other@example.com"}))[0]
	other.Props["email"] = "ann@example.com"
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateRecords(ctx, []store.Record{other})
	})
	// Archiving the holder frees the value.
	ann.Archived, ann.ArchivedAt = true, when(time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecords(ctx, []store.Record{ann}) })
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRecords(ctx, []store.Record{other}) })

	// Each property has its own index, even when long names share a prefix
	// longer than a database's identifier limit.
	long := "hs_analytics_first_touch_converting_campaign_source_data"
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.EnsureIndex(ctx, "contacts", long, false); err != nil {
			return err
		}
		if err := tx.EnsureIndex(ctx, "contacts", long+"_1", true); err != nil {
			return err
		}
		return tx.EnsureIndex(ctx, "contacts", long+"_2", true)
	})
	insert(t, s, contact(map[string]string{long + "_1": "x", long + "_2": "x"}))
	for _, name := range []string{long + "_1", long + "_2"} {
		wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.InsertRecords(ctx, []store.Record{contact(map[string]string{name: "X"})})
			return err
		})
	}

	// Another object type and property that read the same when joined by
	// "_" get their own index.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.EnsureIndex(ctx, "line", "items_hs_sku", true); err != nil {
			return err
		}
		return tx.EnsureIndex(ctx, "line_items", "hs_sku", true)
	})
	item := store.Record{Type: "line_items", Props: map[string]string{"hs_sku": "SKU-1"}, CreatedAt: when(0), UpdatedAt: when(0)}
	insert(t, s, item)
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertRecords(ctx, []store.Record{item})
		return err
	})

	// Names spliced into index definitions must be identifiers.
	for _, name := range []string{"email'); DROP TABLE records; --", "Email", ""} {
		err := s.Update(t.Context(), func(tx store.Tx) error { return tx.EnsureIndex(t.Context(), "contacts", name, true) })
		if err == nil {
			t.Errorf("EnsureIndex(contacts, %q) succeeded, want an error", name)
		}
	}
}

func testEnsureIndexOverDuplicates(t *testing.T, s store.Store) {
	insert(t, s,
		contact(map[string]string{"domain": "example.com"}),
		contact(map[string]string{"domain": "EXAMPLE.com"}),
		contact(map[string]string{"email": "x@example.com"}))
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		return tx.EnsureIndex(ctx, "contacts", "domain", true)
	})
	// The failed index left nothing behind: duplicates still insert.
	insert(t, s, contact(map[string]string{"domain": "example.com"}))
	// A plain index over the same duplicates is fine.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.EnsureIndex(ctx, "contacts", "domain", false) })
}

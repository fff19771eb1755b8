package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

func changes(t *testing.T, s store.Store, after int64, limit int) []store.Change {
	t.Helper()
	return get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Change, error) { return tx.Changes(ctx, after, limit) })
}

func testChanges(t *testing.T, s store.Store) {
	if got := changes(t, s, 0, 10); len(got) != 0 {
		t.Fatalf("Changes on an empty store = %v", got)
	}
	batches := [][]store.Change{
		{
			{ObjectType: "contacts", RecordID: 1, Kind: "created", Props: map[string]string{"email": "a@example.com", "firstname": "Ann"}, Source: "private-app:3", At: when(0)},
			{ObjectType: "contacts", RecordID: 2, Kind: "updated", Props: map[string]string{"firstname": ""}, Source: "cli", At: when(time.Second)},
			{ObjectType: "companies", RecordID: 1 << 40, Kind: "archived", Source: "user:7", At: when(time.Minute)},
		},
		nil,
		{
			{ObjectType: "contacts", RecordID: 1, Kind: "restored", Props: map[string]string{}, Source: "cli", At: when(time.Hour)},
			{ObjectType: "deals", RecordID: 9, Kind: "updated", Props: map[string]string{"amount": "10", "note": "quote \" ü"}, Source: "sync:2", At: time.Time{}},
		},
	}
	var want []store.Change
	for _, b := range batches {
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AppendChanges(ctx, b) })
		for _, c := range b {
			c.At = stored(c.At)
			want = append(want, c)
		}
	}

	got := changes(t, s, 0, 100)
	if len(got) != len(want) {
		t.Fatalf("Changes(0, 100) returned %d changes, want %d: %+v", len(got), len(want), got)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		last, err := tx.LastChangeSeq(ctx)
		if err == nil && last != got[len(got)-1].Seq {
			t.Errorf("LastChangeSeq = %d, want %d", last, got[len(got)-1].Seq)
		}
		return err
	})
	for i := range got {
		if got[i].Seq <= 0 || (i > 0 && got[i].Seq <= got[i-1].Seq) {
			t.Fatalf("change seqs not positive and increasing: %d after %d", got[i].Seq, got[max(i-1, 0)].Seq)
		}
		want[i].Seq = got[i].Seq
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("Changes(0, 100) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[2:4], changes(t, s, want[1].Seq, 2), opts); diff != "" {
		t.Errorf("Changes(seq %d, 2) (-want +got):\n%s", want[1].Seq, diff)
	}
	if got := changes(t, s, want[len(want)-1].Seq, 10); len(got) != 0 {
		t.Errorf("Changes after the last seq = %v, want none", got)
	}
}

// testPropertyChanges reads one record's history of one property: the
// changes that set or cleared it, newest first, and nothing of another
// record or another property.
func testPropertyChanges(t *testing.T, s store.Store) {
	const rec, other = 1 << 40, 7
	feed := []store.Change{
		{ObjectType: "contacts", RecordID: rec, Kind: "created", Props: map[string]string{"email": "a@example.com", "firstname": "Ann"}, Source: "private-app:3", At: when(0)},
		{ObjectType: "contacts", RecordID: other, Kind: "created", Props: map[string]string{"firstname": "Bea"}, Source: "private-app:3", At: when(time.Second)},
		{ObjectType: "contacts", RecordID: rec, Kind: "updated", Props: map[string]string{"lastname": "Lovelace"}, Source: "oauth:2", At: when(2 * time.Second)},
		{ObjectType: "contacts", RecordID: rec, Kind: "updated", Props: map[string]string{"firstname": ""}, Source: "sync:4", At: when(3 * time.Second)},
		{ObjectType: "contacts", RecordID: rec, Kind: "archived", Props: map[string]string{}, Source: "cli", At: when(4 * time.Second)},
		{ObjectType: "contacts", RecordID: rec, Kind: "updated", Props: map[string]string{"firstname": "Ada", "email": "ada@example.com"}, Source: "oauth:2", At: when(5 * time.Second)},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AppendChanges(ctx, feed) })
	all := changes(t, s, 0, 100)
	history := func(records []int64, property string, limit int) []store.Change {
		return get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Change, error) {
			return tx.PropertyChanges(ctx, records, property, limit)
		})
	}
	for _, tc := range []struct {
		records  []int64
		property string
		limit    int
		want     []int // indexes into the feed: by record, newest first
	}{
		{[]int64{rec}, "firstname", 10, []int{5, 3, 0}},
		{[]int64{rec}, "firstname", 2, []int{5, 3}},
		{[]int64{rec}, "email", 10, []int{5, 0}},
		{[]int64{rec}, "lastname", 10, []int{2}},
		{[]int64{other}, "firstname", 10, []int{1}},
		// The limit is per record: the busier record does not crowd out
		// the other.
		{[]int64{rec, other}, "firstname", 1, []int{1, 5}},
		{[]int64{other, rec, other + 1}, "firstname", 10, []int{1, 5, 3, 0}},
		{[]int64{rec}, "phone", 10, nil},
		{[]int64{other + 1}, "firstname", 10, nil},
		{nil, "firstname", 10, nil},
	} {
		var want []store.Change
		for _, i := range tc.want {
			want = append(want, all[i])
		}
		if diff := cmp.Diff(want, history(tc.records, tc.property, tc.limit), opts); diff != "" {
			t.Errorf("PropertyChanges(%v, %s, %d) (-want +got):\n%s", tc.records, tc.property, tc.limit, diff)
		}
	}
	// A name that is not an identifier is refused, never spliced into SQL.
	err := s.View(t.Context(), func(tx store.Tx) error {
		_, err := tx.PropertyChanges(t.Context(), []int64{rec}, "x') IS NULL OR ('1", 10)
		return err
	})
	if err == nil {
		t.Error("PropertyChanges took a name with a quote in it")
	}
}

// testChangeFeedConcurrentWriters is the feed's core promise: a reader that
// moves its cursor to the last sequence it saw never skips a change, even
// while writers with overlapping transactions commit out of order.
func testChangeFeedConcurrentWriters(t *testing.T, s store.Store) {
	const writers, txPerWriter = 4, 12
	ctx := t.Context()

	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Go(func() {
			for i := range txPerWriter {
				err := s.Update(ctx, func(tx store.Tx) error {
					// Two appends per transaction, with pauses, so transactions
					// overlap while holding uncommitted changes.
					for part := range 2 {
						c := store.Change{ObjectType: "contacts", RecordID: int64(i*2 + part), Kind: "updated",
							Source: fmt.Sprintf("writer:%d", w), At: when(0)}
						if err := tx.AppendChanges(ctx, []store.Change{c}); err != nil {
							return err
						}
						time.Sleep(rand.N(2 * time.Millisecond))
					}
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	type key struct {
		source string
		record int64
	}
	seen := map[key]int{}
	var cursor int64
	read := func() (int, error) {
		var page []store.Change
		err := s.View(ctx, func(tx store.Tx) (err error) {
			page, err = tx.Changes(ctx, cursor, 100)
			return err
		})
		for _, c := range page {
			if c.Seq <= cursor {
				return 0, fmt.Errorf("seq %d at or before cursor %d", c.Seq, cursor)
			}
			cursor = c.Seq
			seen[key{c.Source, c.RecordID}]++
		}
		return len(page), err
	}
	var readErr error
	for running := true; running && readErr == nil; {
		select {
		case <-done:
			running = false
		default:
		}
		// After the writers finish, drain what is left.
		for {
			var n int
			n, readErr = read()
			if readErr != nil || running || n == 0 {
				break
			}
		}
	}
	<-done
	if readErr != nil {
		t.Fatalf("reader: %v", readErr)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	var missed, repeated []key
	for w := range writers {
		for r := range int64(txPerWriter * 2) {
			k := key{fmt.Sprintf("writer:%d", w), r}
			switch seen[k] {
			case 0:
				missed = append(missed, k)
			case 1:
			default:
				repeated = append(repeated, k)
			}
		}
	}
	if len(missed) > 0 || len(repeated) > 0 {
		t.Errorf("the reader missed %d changes (first %v) and saw %d more than once (first %v)",
			len(missed), missed[:min(len(missed), 5)], len(repeated), repeated[:min(len(repeated), 5)])
	}
	if len(seen) != writers*txPerWriter*2 {
		t.Errorf("the reader saw %d distinct changes, want %d", len(seen), writers*txPerWriter*2)
	}
}

var errBoom = errors.New("boom")

// testRollback checks that an error from the Update closure undoes every kind
// of write made before it.
func testRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	kept := put(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) {
		if err := tx.SetMeta(ctx, "k", "before"); err != nil {
			return store.User{}, err
		}
		return tx.CreateUser(ctx, newUser("kept@example.com"))
	})
	// Committed data is visible to later reads.
	if got := get(t, s, func(ctx context.Context, tx store.Tx) (string, error) { return tx.Meta(ctx, "k") }); got != "before" {
		t.Fatalf("Meta(k) = %q after commit, want %q", got, "before")
	}

	err := s.Update(ctx, func(tx store.Tx) error {
		steps := []func() error{
			func() error { return tx.SetMeta(ctx, "k", "after") },
			func() error { return tx.SetMeta(ctx, "new", "x") },
			func() error { return tx.CreateAccount(ctx, store.Account{HubID: 1, Name: "Acme", CreatedAt: when(0)}) },
			func() error { _, err := tx.CreateUser(ctx, newUser("new@example.com")); return err },
			func() error { u := kept; u.Name = "changed"; return tx.UpdateUser(ctx, u) },
			func() error {
				_, err := tx.AppendIdentityEvent(ctx, store.IdentityEvent{UserID: kept.ID, Kind: "created", At: when(0)})
				return err
			},
			func() error {
				_, err := tx.CreatePrivateApp(ctx, store.PrivateApp{Name: "p", TokenHash: hash("p"), CreatedAt: when(0), UpdatedAt: when(0)})
				return err
			},
			func() error {
				return tx.CreateProperty(ctx, store.Property{ObjectType: "contacts", Name: "tier", Label: "Tier", Type: "string", FieldType: "text", GroupName: "g"})
			},
			func() error {
				_, err := tx.InsertRecords(ctx, []store.Record{contact(map[string]string{"email": "x@example.com"})})
				return err
			},
			func() error { return tx.EnsureIndex(ctx, "contacts", "email", true) },
			func() error {
				return tx.AppendChanges(ctx, []store.Change{{ObjectType: "contacts", RecordID: 1, Kind: "created", At: when(0)}})
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %v", i, err)
			}
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want the closure's error", err)
	}

	view(t, s, func(ctx context.Context, tx store.Tx) error {
		if v, err := tx.Meta(ctx, "k"); err != nil || v != "before" {
			t.Errorf("Meta(k) = %q, %v; want %q", v, err, "before")
		}
		if _, err := tx.Meta(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Meta(new) error = %v, want ErrNotFound", err)
		}
		if _, err := tx.Account(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Account error = %v, want ErrNotFound", err)
		}
		users, err := tx.Users(ctx)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]store.User{storedUser(kept)}, users, opts); diff != "" {
			t.Errorf("Users (-want +got):\n%s", diff)
		}
		events, err := tx.IdentityEvents(ctx, 0, 10)
		if err != nil || len(events) != 0 {
			t.Errorf("IdentityEvents = %v, %v; want none", events, err)
		}
		apps, err := tx.PrivateApps(ctx)
		if err != nil || len(apps) != 0 {
			t.Errorf("PrivateApps = %v, %v; want none", apps, err)
		}
		props, err := tx.Properties(ctx, "contacts")
		if err != nil || len(props) != 0 {
			t.Errorf("Properties = %v, %v; want none", props, err)
		}
		recs, err := tx.ListRecords(ctx, "contacts", false, 0, 10)
		if err != nil || len(recs) != 0 {
			t.Errorf("ListRecords = %v, %v; want none", recs, err)
		}
		cs, err := tx.Changes(ctx, 0, 10)
		if err != nil || len(cs) != 0 {
			t.Errorf("Changes = %v, %v; want none", cs, err)
		}
		return nil
	})
	// The unique index went with the transaction.
	insert(t, s, contact(map[string]string{"email": "x@example.com"}), contact(map[string]string{"email": "x@example.com"}))

	// A store error returned from the closure rolls back the writes before it.
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.CreateUser(ctx, newUser("first@example.com")); err != nil {
			return err
		}
		_, err := tx.CreateUser(ctx, newUser(kept.Email))
		return err
	})
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.UserByEmail(ctx, "first@example.com")
		return err
	})
}

func testViewIsReadOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	var metaErr, insertErr error
	// The closure swallows the write errors, so only the backend stands
	// between a View and a write.
	_ = s.View(ctx, func(tx store.Tx) error {
		metaErr = tx.SetMeta(ctx, "k", "v")
		_, insertErr = tx.InsertRecords(ctx, []store.Record{contact(nil)})
		return nil
	})
	if metaErr == nil || insertErr == nil {
		t.Errorf("writes inside View returned %v and %v, want errors", metaErr, insertErr)
	}
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Meta(ctx, "k")
		return err
	})
	if got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Record, error) {
		return tx.ListRecords(ctx, "contacts", false, 0, 10)
	}); len(got) != 0 {
		t.Errorf("records written inside View: %v", got)
	}
}

package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/sqlite"
)

// Writes that share a commit must still succeed or fail one by one: a
// failing write leaves nothing behind, the others all land, once each, with
// their changes in the feed.
func TestGroupedWritesFailAlone(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hubsync.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.EnsureIndex(ctx, "contacts", "email", true)
	}); err != nil {
		t.Fatalf("index: %v", err)
	}
	errRefused := errors.New("refused")
	const writers = 40
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.UpdateGrouped(ctx, func(tx store.Tx) error {
				return groupedWrite(ctx, tx, i, errRefused)
			})
		})
	}
	wg.Wait()
	var want int
	for i, err := range errs {
		switch i % 4 {
		case 1:
			if !errors.Is(err, errRefused) {
				t.Errorf("write %d: got %v, want its own refusal", i, err)
			}
		case 2:
			if !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("write %d: got %v, want a taken email", i, err)
			}
		case 3:
			if err == nil || !strings.Contains(err.Error(), errPanicked.Error()) {
				t.Errorf("write %d: got %v, want the panic as its error", i, err)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			want += 2
		}
	}
	checkGroupedWrites(t, s, want)
}

var errPanicked = errors.New("panicked")

// groupedWrite inserts two contacts and their changes, then, by i, returns
// an error, reuses an email of its own batch, or panics.
func groupedWrite(ctx context.Context, tx store.Tx, i int, refused error) error {
	now := time.Now()
	email := func(j int) string { return fmt.Sprintf("w%d-%d@example.com", i, j) }
	second := email(1)
	if i%4 == 2 {
		second = email(0)
	}
	recs, err := tx.InsertRecords(ctx, []store.Record{
		{Type: "contacts", Props: map[string]string{"email": email(0)}, CreatedAt: now, UpdatedAt: now},
		{Type: "contacts", Props: map[string]string{"email": second}, CreatedAt: now, UpdatedAt: now},
	})
	if err != nil {
		return err
	}
	var cs []store.Change
	for _, r := range recs {
		cs = append(cs, store.Change{ObjectType: "contacts", RecordID: r.ID, Kind: "created", Props: r.Props, Source: "test", At: now})
	}
	if err := tx.AppendChanges(ctx, cs); err != nil {
		return err
	}
	switch i % 4 {
	case 1:
		return refused
	case 3:
		panic(errPanicked)
	}
	return nil
}

// checkGroupedWrites checks that want records landed, each named once by
// the feed, in id order.
func checkGroupedWrites(t *testing.T, s store.Store, want int) {
	t.Helper()
	ctx := t.Context()
	if err := s.View(ctx, func(tx store.Tx) error {
		recs, err := tx.ListRecords(ctx, "contacts", false, 0, 1000)
		if err != nil {
			return err
		}
		cs, err := tx.Changes(ctx, 0, 1000)
		if err != nil {
			return err
		}
		if len(recs) != want || len(cs) != want {
			t.Errorf("got %d records and %d changes, want %d of each", len(recs), len(cs), want)
		}
		for i := range min(len(recs), len(cs)) {
			if cs[i].RecordID != recs[i].ID {
				t.Errorf("change %d names record %d, want %d", i, cs[i].RecordID, recs[i].ID)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("read: %v", err)
	}
}

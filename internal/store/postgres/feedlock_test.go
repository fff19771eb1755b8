package postgres_test

import (
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
)

// The statement that appends to the change feed also takes the feed's
// lock: a second writer's changes wait for the first writer's commit and
// are numbered after its, so no reader sees a later number commit first.
func TestChangeAppendsTakeTheFeedLock(t *testing.T) {
	ctx := t.Context()
	s, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendOne := func(tx store.Tx, id int64) error {
		return tx.AppendChanges(ctx, []store.Change{{ObjectType: "contacts", RecordID: id, Kind: "created",
			Props: map[string]string{"email": "a@example.com"}, Source: "test", At: time.Now()}})
	}
	appended, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Update(ctx, func(tx store.Tx) error {
			if err := appendOne(tx, 1); err != nil {
				return err
			}
			close(appended)
			<-release
			return nil
		})
	}()
	<-appended
	second := make(chan error, 1)
	go func() { second <- s.Update(ctx, func(tx store.Tx) error { return appendOne(tx, 2) }) }()
	select {
	case err := <-second:
		t.Fatalf("the second append finished while the first held the feed (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	var cs []store.Change
	if err := s.View(ctx, func(tx store.Tx) (err error) {
		cs, err = tx.Changes(ctx, 0, 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].RecordID != 1 || cs[1].RecordID != 2 {
		t.Fatalf("feed %+v, want record 1's change then record 2's", cs)
	}
}

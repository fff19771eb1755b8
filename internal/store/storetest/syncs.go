package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hubsync/hubsync/internal/store"
)

func storedObjectSync(o store.ObjectSync) store.ObjectSync {
	o.CreatedAt, o.UpdatedAt = stored(o.CreatedAt), stored(o.UpdatedAt)
	return o
}

// fullObjectSync sets every field, each to a different value.
func fullObjectSync(connectionID int64) store.ObjectSync {
	return store.ObjectSync{
		ConnectionID: connectionID, HubObject: "contacts", ExternalObject: `public."People"`,
		Direction: store.DirectionTwoWay,
		Mappings: []store.FieldMapping{
			{Hub: "email", App: "Email", Direction: store.DirectionTwoWay, Type: "text"},
			{Hub: "firstname", App: "first_name"},
			{Hub: "amount", App: "Amount", Direction: store.DirectionToHub, Type: "number"},
		},
		HubFilters: []store.Filter{
			{Property: "lifecyclestage", Operator: "in", Value: "lead;customer"},
			{Property: "email", Operator: "has"},
		},
		AppFilters:  []store.Filter{{Property: "Status", Operator: "neq", Value: `ü "deleted" 日本`}},
		HubMatchKey: "email", AppMatchKey: "Email", ConflictRule: "hub_wins",
		PropagateDeletes: true, Enabled: true,
		CreatedAt: when(0), UpdatedAt: when(time.Hour),
	}
}

// minimalObjectSync sets what an object sync must have; lists stay empty,
// flags false.
func minimalObjectSync(connectionID int64) store.ObjectSync {
	return store.ObjectSync{ConnectionID: connectionID, HubObject: "companies", ExternalObject: "accounts",
		Direction: store.DirectionToApp, ConflictRule: "most_recent", CreatedAt: when(time.Minute), UpdatedAt: when(time.Minute)}
}

func createObjectSyncs(t *testing.T, s store.Store, in ...store.ObjectSync) []store.ObjectSync {
	t.Helper()
	var out []store.ObjectSync
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, o := range in {
			got, err := tx.CreateObjectSync(ctx, o)
			if err != nil {
				return err
			}
			o.ID = got.ID
			if diff := cmp.Diff(storedObjectSync(o), got, opts); diff != "" {
				t.Errorf("CreateObjectSync does not return the stored value (-stored +returned):\n%s", diff)
			}
			if o.ID <= 0 || (len(out) > 0 && o.ID <= out[len(out)-1].ID) {
				t.Fatalf("object sync id %d: want positive and increasing", o.ID)
			}
			out = append(out, storedObjectSync(o))
		}
		return nil
	})
	return out
}

func objectSyncs(connectionID int64) func(ctx context.Context, tx store.Tx) ([]store.ObjectSync, error) {
	return func(ctx context.Context, tx store.Tx) ([]store.ObjectSync, error) {
		return tx.ObjectSyncs(ctx, connectionID)
	}
}

func testObjectSyncs(t *testing.T, s store.Store) {
	o := createObjectSyncs(t, s, fullObjectSync(1), minimalObjectSync(2), minimalObjectSync(1))
	for _, w := range o {
		wantRead(t, s, "ObjectSync", w, func(ctx context.Context, tx store.Tx) (store.ObjectSync, error) {
			return tx.ObjectSync(ctx, w.ID)
		})
	}
	wantRead(t, s, "ObjectSyncs(1)", []store.ObjectSync{o[0], o[2]}, objectSyncs(1))
	wantRead(t, s, "ObjectSyncs(2)", []store.ObjectSync{o[1]}, objectSyncs(2))
	wantRead(t, s, "ObjectSyncs(unknown)", nil, objectSyncs(3))
	wantReadErr(t, s, "ObjectSync(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ObjectSync(ctx, o[2].ID+1)
		return err
	})

	// Every field but the connection and creation time changes: the full
	// one takes the minimal one's values and the other way round.
	full, minimal := o[0], o[2]
	swapped := []store.ObjectSync{minimal, full}
	swapped[0].ID, swapped[0].ConnectionID, swapped[0].CreatedAt = full.ID, full.ConnectionID, full.CreatedAt
	swapped[1].ID, swapped[1].ConnectionID, swapped[1].CreatedAt = minimal.ID, minimal.ConnectionID, minimal.CreatedAt
	swapped[1].UpdatedAt = stored(when(72 * time.Hour))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, x := range swapped {
			if err := tx.UpdateObjectSync(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	wantRead(t, s, "ObjectSyncs after UpdateObjectSync", swapped, objectSyncs(1))
	wantRead(t, s, "other connection's ObjectSyncs after UpdateObjectSync", []store.ObjectSync{o[1]}, objectSyncs(2))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		x := full
		x.ID = o[2].ID + 1
		return tx.UpdateObjectSync(ctx, x)
	})
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeleteObjectSync(ctx, o[2].ID+1) })
}

// link is a link whose fields all derive from its hub id.
func link(syncID, hubID int64) store.Link {
	return store.Link{SyncID: syncID, HubID: hubID, ExternalID: fmt.Sprintf("ext-%d", hubID),
		Snapshot:  map[string]string{"email": fmt.Sprintf("c%d@example.com", hubID), "note": `ü "x"`},
		UpdatedAt: when(time.Duration(hubID) * time.Millisecond)}
}

func storedLink(l store.Link) store.Link {
	l.UpdatedAt = stored(l.UpdatedAt)
	return l
}

func storedLinks(ls ...store.Link) []store.Link {
	out := make([]store.Link, len(ls))
	for i, l := range ls {
		out[i] = storedLink(l)
	}
	return out
}

// byHubID sorts links, which lookups return in any order.
var byHubID = cmpopts.SortSlices(func(a, b store.Link) bool {
	return a.SyncID < b.SyncID || (a.SyncID == b.SyncID && a.HubID < b.HubID)
})

func putLinks(t *testing.T, s store.Store, links ...store.Link) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutLinks(ctx, links) })
}

func linksByHubID(syncID int64, ids ...int64) func(ctx context.Context, tx store.Tx) ([]store.Link, error) {
	return func(ctx context.Context, tx store.Tx) ([]store.Link, error) { return tx.LinksByHubID(ctx, syncID, ids) }
}

func linksByExternalID(syncID int64, ids ...string) func(ctx context.Context, tx store.Tx) ([]store.Link, error) {
	return func(ctx context.Context, tx store.Tx) ([]store.Link, error) {
		return tx.LinksByExternalID(ctx, syncID, ids)
	}
}

func countLinks(syncID int64) func(ctx context.Context, tx store.Tx) (int, error) {
	return func(ctx context.Context, tx store.Tx) (int, error) { return tx.CountLinks(ctx, syncID) }
}

func testLinks(t *testing.T, s store.Store) {
	const s1, s2 = 1, 2
	wantRead(t, s, "LinksByHubID on an empty store", nil, linksByHubID(s1, 1, 2))
	wantRead(t, s, "CountLinks on an empty store", 0, countLinks(s1))
	a := store.Link{SyncID: s1, HubID: 1 << 40, ExternalID: `003Dn00000 "Ü"`,
		Snapshot:    map[string]string{"email": "ana@example.com", "firstname": "Ana 日本", "empty": ""},
		HubArchived: true, UpdatedAt: when(0)}
	b := store.Link{SyncID: s1, HubID: 7, ExternalID: "7", AppArchived: true, UpdatedAt: when(time.Second)}
	// The same ids in another sync are another link.
	c := store.Link{SyncID: s2, HubID: 7, ExternalID: "7", Snapshot: map[string]string{"name": "Acme"}}
	putLinks(t, s, a, b, c)
	want := storedLinks(a, b, c)

	wantRead(t, s, "LinksByHubID", want[:2], linksByHubID(s1, a.HubID, b.HubID), byHubID)
	wantRead(t, s, "LinksByHubID with missing ids", want[1:2], linksByHubID(s1, 8, b.HubID, 6, 0), byHubID)
	wantRead(t, s, "LinksByHubID with a repeated id", want[1:2], linksByHubID(s1, b.HubID, b.HubID), byHubID)
	wantRead(t, s, "LinksByHubID of another sync", want[2:], linksByHubID(s2, a.HubID, b.HubID), byHubID)
	wantRead(t, s, "LinksByHubID of no ids", nil, linksByHubID(s1))
	wantRead(t, s, "LinksByExternalID", want[:2], linksByExternalID(s1, b.ExternalID, a.ExternalID), byHubID)
	// External ids are compared exactly.
	wantRead(t, s, "LinksByExternalID with missing ids", want[:1],
		linksByExternalID(s1, a.ExternalID, "003dn00000 \"ü\"", "07", ""), byHubID)
	wantRead(t, s, "LinksByExternalID of another sync", want[2:], linksByExternalID(s2, "7", a.ExternalID), byHubID)
	wantRead(t, s, "LinksByExternalID of no ids", nil, linksByExternalID(s1))
	wantRead(t, s, "CountLinks(s1)", 2, countLinks(s1))
	wantRead(t, s, "CountLinks(s2)", 1, countLinks(s2))
	wantRead(t, s, "CountLinks(unknown)", 0, countLinks(3))
	wantRead(t, s, "flags and empty snapshot of b", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		ls, err := tx.LinksByHubID(ctx, s1, []int64{b.HubID})
		return len(ls) == 1 && !ls[0].HubArchived && ls[0].AppArchived && len(ls[0].Snapshot) == 0, err
	})

	// A batch as large as the engine's, past one multi-row statement, and
	// lookups of 500 ids of which some have no link.
	const n = 1200
	batch := make([]store.Link, n)
	for i := range batch {
		batch[i] = link(s2, int64(1000+i))
	}
	putLinks(t, s, batch...)
	wantRead(t, s, "CountLinks after a large PutLinks", n+1, countLinks(s2))
	var hubIDs []int64
	var externalIDs []string
	var found []store.Link
	for i := 0; i < 500; i++ {
		id := int64(1000 + 3*i) // past the last link from i = 400
		hubIDs, externalIDs = append(hubIDs, id), append(externalIDs, fmt.Sprintf("ext-%d", id))
		if id < 1000+n {
			found = append(found, storedLink(link(s2, id)))
		}
	}
	wantRead(t, s, "LinksByHubID of 500 ids", found, linksByHubID(s2, hubIDs...), byHubID)
	wantRead(t, s, "LinksByExternalID of 500 ids", found, linksByExternalID(s2, externalIDs...), byHubID)
	wantRead(t, s, "LinksByHubID of 500 ids of another sync", nil, linksByHubID(s1, hubIDs...))
}

// testLinkUniqueness checks that an external id has one link per sync: a
// PutLinks that would give it a second fails with ErrAlreadyExists, and
// the transaction it failed in commits nothing.
func testLinkUniqueness(t *testing.T, s store.Store) {
	const s1 = 1
	a, b := link(s1, 1), link(s1, 2)
	putLinks(t, s, a, b)
	want := storedLinks(a, b)
	for _, tc := range []struct {
		name  string
		links []store.Link
	}{
		{"a new link with a taken external id", []store.Link{{SyncID: s1, HubID: 3, ExternalID: a.ExternalID}}},
		{"a link given another's external id", []store.Link{{SyncID: s1, HubID: b.HubID, ExternalID: a.ExternalID}}},
		{"two new links with one external id", []store.Link{
			{SyncID: s1, HubID: 4, ExternalID: "ext-new"}, {SyncID: s1, HubID: 5, ExternalID: "ext-new"}}},
		{"a valid link with a clashing one", []store.Link{link(s1, 6), {SyncID: s1, HubID: 7, ExternalID: b.ExternalID}}},
	} {
		wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
			// A write before the failure in the same transaction, which
			// must not commit either.
			if err := tx.PutLinks(ctx, []store.Link{link(s1, 100)}); err != nil {
				t.Errorf("%s: first PutLinks: %v", tc.name, err)
				return err
			}
			return tx.PutLinks(ctx, tc.links)
		})
		wantRead(t, s, tc.name+": links after the failed PutLinks", want, linksByHubID(s1, 1, 2, 3, 4, 5, 6, 7, 100), byHubID)
	}
	// Other syncs may use the same external id.
	putLinks(t, s, store.Link{SyncID: s1 + 1, HubID: 3, ExternalID: a.ExternalID})
	wantRead(t, s, "CountLinks after all", 2, countLinks(s1))
}

// testPutLinksReplace checks that PutLinks replaces a link by its hub id,
// every field of it, and frees the external id it had.
func testPutLinksReplace(t *testing.T, s store.Store) {
	const s1 = 1
	a, b := link(s1, 1), link(s1, 2)
	a.HubArchived = true
	putLinks(t, s, a, b)

	moved := store.Link{SyncID: s1, HubID: a.HubID, ExternalID: "ext-moved", Snapshot: map[string]string{"email": "new@example.com"},
		AppArchived: true, UpdatedAt: when(time.Hour)}
	putLinks(t, s, moved)
	wantRead(t, s, "LinksByHubID after replacing", storedLinks(moved, b), linksByHubID(s1, a.HubID, b.HubID), byHubID)
	wantRead(t, s, "LinksByExternalID of the replaced external id", nil, linksByExternalID(s1, a.ExternalID))
	wantRead(t, s, "LinksByExternalID of the new external id", storedLinks(moved), linksByExternalID(s1, moved.ExternalID))
	wantRead(t, s, "CountLinks after replacing", 2, countLinks(s1))

	// The freed external ids can go to other hub records. The same hub id
	// given twice in a call counts as the later link.
	movedAgain := moved
	movedAgain.ExternalID, movedAgain.AppArchived = a.ExternalID, false
	bAgain := b
	bAgain.Snapshot = map[string]string{"email": "b@example.com"}
	putLinks(t, s, movedAgain, b, bAgain)
	c := store.Link{SyncID: s1, HubID: 3, ExternalID: moved.ExternalID, UpdatedAt: when(2 * time.Hour)}
	putLinks(t, s, c)
	wantRead(t, s, "LinksByHubID after moving an external id", storedLinks(movedAgain, bAgain, c),
		linksByHubID(s1, 1, 2, 3), byHubID)
	wantRead(t, s, "LinksByExternalID after moving an external id", storedLinks(movedAgain, c),
		linksByExternalID(s1, a.ExternalID, moved.ExternalID), byHubID)
	wantRead(t, s, "CountLinks after moving", 3, countLinks(s1))
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutLinks(ctx, nil) })
}

// testForgetSnapshotFields checks that the keys leave the snapshot of every
// link of the sync, past one page of links, keys the engine stages with a
// NUL in their name included, and that nothing else changes: the other
// keys, the rest of each link, the links of other syncs.
func testForgetSnapshotFields(t *testing.T, s store.Store) {
	const s1, s2, staged = 1, 2, "\x00pending:firstname"
	const n = 2300
	links := make([]store.Link, n)
	for i := range links {
		links[i] = link(s1, int64(i+1))
		links[i].Snapshot["firstname"], links[i].HubArchived = fmt.Sprint("F", i), i%7 == 0
		if i%3 == 0 {
			links[i].Snapshot[staged] = "G"
		}
	}
	untouched := link(s1, n+1) // holds none of the keys
	other := link(s2, 1)
	other.Snapshot["firstname"] = "keep"
	putLinks(t, s, append(links, untouched, other)...)

	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ForgetSnapshotFields(ctx, s1, []string{"firstname", staged, "never-there"})
	})
	want := make([]store.Link, n+1)
	ids := make([]int64, n+1)
	for i, l := range append(links, untouched) {
		l.Snapshot = map[string]string{"email": l.Snapshot["email"], "note": l.Snapshot["note"]}
		want[i], ids[i] = storedLink(l), l.HubID
	}
	wantRead(t, s, "links of the sync after ForgetSnapshotFields", want, linksByHubID(s1, ids...), byHubID)
	wantRead(t, s, "a link of another sync", storedLinks(other), linksByHubID(s2, 1))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ForgetSnapshotFields(ctx, 99, []string{"email"})
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.ForgetSnapshotFields(ctx, s1, nil) })
}

// testPutLinksConcurrent checks that two transactions writing links of
// different records of one sync both land.
func testPutLinksConcurrent(t *testing.T, s store.Store) {
	const s1 = 1
	putLinks(t, s, link(s1, 1))
	written, secondDone := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var firstErr, secondErr error
	wg.Go(func() {
		ctx := t.Context()
		firstErr = s.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutLinks(ctx, []store.Link{link(s1, 2), link(s1, 3)}); err != nil {
				return err
			}
			close(written)
			// Stay open while the second writes; where writers are serial
			// the second waits instead.
			select {
			case <-secondDone:
			case <-time.After(250 * time.Millisecond):
			}
			return nil
		})
	})
	wg.Go(func() {
		defer close(secondDone)
		<-written
		ctx := t.Context()
		secondErr = s.Update(ctx, func(tx store.Tx) error {
			return tx.PutLinks(ctx, []store.Link{link(s1, 4), link(s1, 5)})
		})
	})
	wg.Wait()
	if firstErr != nil || secondErr != nil {
		t.Fatalf("concurrent PutLinks: %v; %v", firstErr, secondErr)
	}
	wantRead(t, s, "links after concurrent PutLinks", storedLinks(link(s1, 1), link(s1, 2), link(s1, 3), link(s1, 4), link(s1, 5)),
		linksByHubID(s1, 1, 2, 3, 4, 5), byHubID)
	wantRead(t, s, "CountLinks after concurrent PutLinks", 5, countLinks(s1))
}

func syncCursor(syncID int64, side string) func(ctx context.Context, tx store.Tx) (string, error) {
	return func(ctx context.Context, tx store.Tx) (string, error) { return tx.SyncCursor(ctx, syncID, side) }
}

func setSyncCursor(t *testing.T, s store.Store, syncID int64, side, position string) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.SetSyncCursor(ctx, syncID, side, position) })
}

func testSyncCursors(t *testing.T, s store.Store) {
	wantRead(t, s, "SyncCursor without one", "", syncCursor(1, store.SideHub))
	const position = `{"after":"2025-03-14T15:09:26.535Z","id":"003 \"ü\""}`
	setSyncCursor(t, s, 1, store.SideHub, "42")
	setSyncCursor(t, s, 1, store.SideApp, position)
	setSyncCursor(t, s, 2, store.SideHub, "7")
	wantRead(t, s, "SyncCursor(1, hub)", "42", syncCursor(1, store.SideHub))
	wantRead(t, s, "SyncCursor(1, app)", position, syncCursor(1, store.SideApp))
	wantRead(t, s, "SyncCursor(2, hub)", "7", syncCursor(2, store.SideHub))
	wantRead(t, s, "SyncCursor(2, app) without one", "", syncCursor(2, store.SideApp))
	setSyncCursor(t, s, 1, store.SideHub, "43")
	wantRead(t, s, "SyncCursor(1, hub) after moving it", "43", syncCursor(1, store.SideHub))
	wantRead(t, s, "SyncCursor(1, app) after moving the other side", position, syncCursor(1, store.SideApp))
	// Read and moved in one transaction, as a run commits its position.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if got, err := tx.SyncCursor(ctx, 2, store.SideHub); err != nil || got != "7" {
			return fmt.Errorf("SyncCursor(2, hub) in Update = %q, %v; want 7", got, err)
		}
		return tx.SetSyncCursor(ctx, 2, store.SideHub, "")
	})
	wantRead(t, s, "SyncCursor(2, hub) set empty", "", syncCursor(2, store.SideHub))
}

func storedSyncRun(r store.SyncRun) store.SyncRun {
	r.StartedAt, r.FinishedAt, r.HeartbeatAt = stored(r.StartedAt), stored(r.FinishedAt), stored(r.HeartbeatAt)
	return r
}

func testSyncRuns(t *testing.T, s store.Store) {
	runs := func(connectionID int64, limit int) func(ctx context.Context, tx store.Tx) ([]store.SyncRun, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.SyncRun, error) {
			return tx.SyncRuns(ctx, connectionID, limit)
		}
	}
	wantRead(t, s, "SyncRuns on an empty store", nil, runs(1, 10))
	in := []store.SyncRun{
		{ConnectionID: 1, Trigger: "schedule", Status: "succeeded", StartedAt: when(0), FinishedAt: when(time.Minute),
			Counts: map[string]int{"contacts.to_app.created": 120, "contacts.to_hub.updated": 3, "contacts.to_app.failed": 0}},
		{ConnectionID: 2, Trigger: "manual", Status: "running", StartedAt: when(time.Hour), HeartbeatAt: when(time.Hour + time.Second)},
		{ConnectionID: 1, Trigger: "change", Status: "failed", StartedAt: when(2 * time.Hour), FinishedAt: when(2 * time.Hour),
			Error: `external_rate_limited: "429" ü`},
		{ConnectionID: 1, Trigger: "reconnect", Status: "running", StartedAt: when(3 * time.Hour)},
	}
	var r []store.SyncRun
	for _, x := range in {
		got := put(t, s, func(ctx context.Context, tx store.Tx) (store.SyncRun, error) { return tx.CreateSyncRun(ctx, x) })
		if got.ID <= 0 || (len(r) > 0 && got.ID <= r[len(r)-1].ID) {
			t.Fatalf("sync run id %d: want positive and increasing", got.ID)
		}
		x.ID = got.ID
		if diff := cmp.Diff(storedSyncRun(x), got, opts); diff != "" {
			t.Errorf("CreateSyncRun does not return the stored value (-stored +returned):\n%s", diff)
		}
		r = append(r, storedSyncRun(x))
	}
	wantRead(t, s, "SyncRuns(1, 10)", []store.SyncRun{r[3], r[2], r[0]}, runs(1, 10))
	wantRead(t, s, "SyncRuns(1, 2)", []store.SyncRun{r[3], r[2]}, runs(1, 2))
	wantRead(t, s, "SyncRuns(1, 0)", []store.SyncRun{r[3], r[2], r[0]}, runs(1, 0))
	wantRead(t, s, "SyncRuns(2, 10)", []store.SyncRun{r[1]}, runs(2, 10))
	wantRead(t, s, "SyncRuns(unknown)", nil, runs(3, 10))
	before := func(connectionID, beforeID int64, limit int) func(ctx context.Context, tx store.Tx) ([]store.SyncRun, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.SyncRun, error) {
			return tx.SyncRunsBefore(ctx, connectionID, beforeID, limit)
		}
	}
	wantRead(t, s, "SyncRunsBefore(1, r3, 10)", []store.SyncRun{r[2], r[0]}, before(1, r[3].ID, 10))
	wantRead(t, s, "SyncRunsBefore(1, r3, 1)", []store.SyncRun{r[2]}, before(1, r[3].ID, 1))
	wantRead(t, s, "SyncRunsBefore(1, r0, 10)", nil, before(1, r[0].ID, 10))
	wantRead(t, s, "SyncRunsBefore(2, r3, 10)", []store.SyncRun{r[1]}, before(2, r[3].ID, 10))
	withStatus := func(status string) func(ctx context.Context, tx store.Tx) ([]store.SyncRun, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.SyncRun, error) {
			return tx.SyncRunsWithStatus(ctx, status)
		}
	}
	wantRead(t, s, "SyncRunsWithStatus(running)", []store.SyncRun{r[1], r[3]}, withStatus("running"))
	wantRead(t, s, "SyncRunsWithStatus(interrupted)", nil, withStatus("interrupted"))

	// A run finishes: every field but the connection changes.
	done := r[3]
	done.Trigger, done.Status, done.StartedAt, done.FinishedAt = "manual", "held", when(4*time.Hour), when(5*time.Hour)
	done.HeartbeatAt = when(4*time.Hour + time.Minute)
	done.Counts, done.Error = map[string]int{"deals.to_hub.created": 1}, "held: connection needs reconnect"
	done = storedSyncRun(done)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateSyncRun(ctx, done) })
	wantRead(t, s, "SyncRuns after UpdateSyncRun", []store.SyncRun{done, r[2], r[0]}, runs(1, 10))
	wantRead(t, s, "SyncRunsWithStatus(running) after UpdateSyncRun", []store.SyncRun{r[1]}, withStatus("running"))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		x := done
		x.ID = r[3].ID + 1
		return tx.UpdateSyncRun(ctx, x)
	})
}

func recordErrors(connectionID int64, unresolved bool, limit int) func(ctx context.Context, tx store.Tx) ([]store.RecordError, error) {
	return func(ctx context.Context, tx store.Tx) ([]store.RecordError, error) {
		return tx.RecordErrors(ctx, connectionID, unresolved, limit)
	}
}

func putRecordError(t *testing.T, s store.Store, e store.RecordError) store.RecordError {
	t.Helper()
	return put(t, s, func(ctx context.Context, tx store.Tx) (store.RecordError, error) { return tx.PutRecordError(ctx, e) })
}

func testRecordErrors(t *testing.T, s store.Store) {
	o := createObjectSyncs(t, s, fullObjectSync(1), minimalObjectSync(1), minimalObjectSync(2))
	s1, s2, other := o[0].ID, o[1].ID, o[2].ID
	wantRead(t, s, "RecordErrors on an empty store", nil, recordErrors(1, false, 10))

	refusal := func(syncID int64, side string, hubID int64, externalID string, at time.Duration) store.RecordError {
		return store.RecordError{SyncID: syncID, Side: side, HubID: hubID, ExternalID: externalID,
			Reason: "validation", Message: `"email" is invalid: ü`, CreatedAt: when(at), UpdatedAt: when(at)}
	}
	var e []store.RecordError
	for i, x := range []store.RecordError{
		refusal(s1, store.SideApp, 10, "", 0),                // only in the hub
		refusal(s1, store.SideHub, 0, "ext-20", time.Second), // only externally
		refusal(s1, store.SideApp, 30, "ext-30", 2*time.Second),
		// The same record refused by the other side, or in another sync, is
		// another error.
		refusal(s1, store.SideHub, 30, "ext-30", 3*time.Second),
		refusal(s2, store.SideApp, 10, "", 4*time.Second),
		refusal(other, store.SideApp, 10, "", 5*time.Second),
	} {
		// What the caller says of attempts, resolution or id is not stored.
		x.Attempts, x.ResolvedAt, x.ID = 9, when(time.Hour), 99
		got := putRecordError(t, s, x)
		if got.ID <= 0 || (i > 0 && got.ID <= e[i-1].ID) {
			t.Fatalf("record error id %d: want positive and increasing", got.ID)
		}
		x.ID, x.Attempts, x.ResolvedAt = got.ID, 1, time.Time{}
		x.CreatedAt, x.UpdatedAt = stored(x.CreatedAt), stored(x.UpdatedAt)
		if diff := cmp.Diff(x, got, opts); diff != "" {
			t.Errorf("PutRecordError does not return the stored value (-stored +returned):\n%s", diff)
		}
		e = append(e, x)
	}
	wantRead(t, s, "RecordErrors(1)", []store.RecordError{e[4], e[3], e[2], e[1], e[0]}, recordErrors(1, false, 10))
	wantRead(t, s, "RecordErrors(1, limit 2)", []store.RecordError{e[4], e[3]}, recordErrors(1, false, 2))
	wantRead(t, s, "unresolved RecordErrors(1, limit 0)", []store.RecordError{e[4], e[3], e[2], e[1], e[0]}, recordErrors(1, true, 0))
	wantRead(t, s, "RecordErrors(2)", []store.RecordError{e[5]}, recordErrors(2, false, 10))
	wantRead(t, s, "RecordErrors(unknown)", nil, recordErrors(3, false, 10))

	// A repeat counts an attempt of the open error, taking the new reason,
	// message and time; the creation time stays.
	repeat := refusal(s1, store.SideApp, 30, "ext-30", time.Hour)
	repeat.Reason, repeat.Message = "rate_limited", "429"
	again := e[2]
	again.Reason, again.Message, again.UpdatedAt = repeat.Reason, repeat.Message, stored(repeat.UpdatedAt)
	for attempts := 2; attempts <= 3; attempts++ {
		again.Attempts = attempts
		if diff := cmp.Diff(again, putRecordError(t, s, repeat), opts); diff != "" {
			t.Errorf("PutRecordError of a repeat, attempt %d (-want +got):\n%s", attempts, diff)
		}
	}
	wantRead(t, s, "RecordErrors after repeats", []store.RecordError{e[4], e[3], again, e[1], e[0]}, recordErrors(1, false, 10))

	// A resolved error is listed only with the resolved; the same record
	// refused again opens a new error.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ResolveRecordError(ctx, again.ID, when(2*time.Hour))
	})
	resolved := again
	resolved.ResolvedAt = stored(when(2 * time.Hour))
	wantRead(t, s, "RecordErrors after resolving", []store.RecordError{e[4], e[3], resolved, e[1], e[0]}, recordErrors(1, false, 10))
	wantRead(t, s, "unresolved RecordErrors after resolving", []store.RecordError{e[4], e[3], e[1], e[0]}, recordErrors(1, true, 10))
	reopened := putRecordError(t, s, refusal(s1, store.SideApp, 30, "ext-30", 3*time.Hour))
	if reopened.ID <= e[5].ID || reopened.Attempts != 1 || !reopened.ResolvedAt.IsZero() {
		t.Errorf("PutRecordError after resolving = %+v, want a new open error on its first attempt", reopened)
	}
	wantRead(t, s, "unresolved RecordErrors after reopening", []store.RecordError{reopened, e[4], e[3], e[1], e[0]},
		recordErrors(1, true, 10))
	wantRead(t, s, "RecordErrors after reopening", []store.RecordError{reopened, e[4], e[3], resolved, e[1], e[0]},
		recordErrors(1, false, 10))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		return tx.ResolveRecordError(ctx, reopened.ID+1, when(0))
	})
}

// testDeleteObjectSync checks that deleting an object sync deletes its
// links, cursors and record errors, and nothing of another sync.
func testDeleteObjectSync(t *testing.T, s store.Store) {
	o := createObjectSyncs(t, s, fullObjectSync(1), minimalObjectSync(1))
	gone, kept := o[0].ID, o[1].ID
	for _, id := range []int64{gone, kept} {
		putLinks(t, s, link(id, 1), link(id, 2))
		setSyncCursor(t, s, id, store.SideHub, "h")
		setSyncCursor(t, s, id, store.SideApp, "a")
	}
	goneErr := putRecordError(t, s, store.RecordError{SyncID: gone, Side: store.SideApp, HubID: 1, Reason: "validation",
		CreatedAt: when(0), UpdatedAt: when(0)})
	keptErr := putRecordError(t, s, store.RecordError{SyncID: kept, Side: store.SideApp, HubID: 1, Reason: "validation",
		CreatedAt: when(0), UpdatedAt: when(0)})

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteObjectSync(ctx, gone) })
	wantReadErr(t, s, "ObjectSync after DeleteObjectSync", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ObjectSync(ctx, gone)
		return err
	})
	wantRead(t, s, "ObjectSyncs after DeleteObjectSync", []store.ObjectSync{o[1]}, objectSyncs(1))
	wantRead(t, s, "deleted sync's links", nil, linksByHubID(gone, 1, 2))
	wantRead(t, s, "deleted sync's links by external id", nil, linksByExternalID(gone, "ext-1", "ext-2"))
	wantRead(t, s, "deleted sync's CountLinks", 0, countLinks(gone))
	wantRead(t, s, "deleted sync's hub cursor", "", syncCursor(gone, store.SideHub))
	wantRead(t, s, "deleted sync's app cursor", "", syncCursor(gone, store.SideApp))
	wantRead(t, s, "RecordErrors after DeleteObjectSync", []store.RecordError{keptErr}, recordErrors(1, false, 10))
	// Gone, not merely hidden by the listing's join.
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		return tx.ResolveRecordError(ctx, goneErr.ID, when(0))
	})
	wantRead(t, s, "kept sync's links", storedLinks(link(kept, 1), link(kept, 2)), linksByHubID(kept, 1, 2), byHubID)
	wantRead(t, s, "kept sync's cursor", "a", syncCursor(kept, store.SideApp))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeleteObjectSync(ctx, gone) })
	// A sync created later never inherits the deleted one's data.
	fresh := createObjectSyncs(t, s, fullObjectSync(1))[0]
	wantRead(t, s, "new sync's CountLinks", 0, countLinks(fresh.ID))
}

// BenchLinks measures what the engine does per batch of 500 records: look
// up their links by hub id, and write them, new or replaced, each in its
// own transaction, against a sync that already holds 100,000 links.
func BenchLinks(b *testing.B, s store.Store) {
	const batch, preload = 500, 100_000
	ctx := b.Context()
	links := func(syncID, first int64) []store.Link {
		out := make([]store.Link, batch)
		for i := range out {
			out[i] = link(syncID, first+int64(i))
		}
		return out
	}
	for first := int64(0); first < preload; first += batch {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutLinks(ctx, links(1, first)) }); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]int64, batch)
	for i := range ids {
		// Spread over the preloaded links, one in ten without a link.
		ids[i] = int64(i) * (preload / batch) * 11 / 10
	}
	lookup := func(run func(context.Context, func(store.Tx) error) error) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				err := run(ctx, func(tx store.Tx) error {
					ls, err := tx.LinksByHubID(ctx, 1, ids)
					if err == nil && len(ls) < batch*8/10 {
						err = fmt.Errorf("found %d links", len(ls))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("LinksByHubID500/View", lookup(s.View))
	b.Run("LinksByHubID500/Update", lookup(s.Update))
	b.Run("PutLinks500/insert", func(b *testing.B) {
		first := int64(preload)
		for b.Loop() {
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutLinks(ctx, links(1, first)) }); err != nil {
				b.Fatal(err)
			}
			first += batch
		}
	})
	b.Run("PutLinks500/replace", func(b *testing.B) {
		for b.Loop() {
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutLinks(ctx, links(1, 0)) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// testSyncRunTotals: run counts are summed per hour of start and key, over
// the runs of one connection since a time.
func testSyncRunTotals(t *testing.T, s store.Store) {
	hour := when(0).UTC().Truncate(time.Hour)
	for _, r := range []store.SyncRun{
		{ConnectionID: 1, StartedAt: hour.Add(time.Minute), Counts: map[string]int{"contacts.to_app.created": 3, "deals.to_hub.updated": 1}},
		{ConnectionID: 1, StartedAt: hour.Add(59 * time.Minute), Counts: map[string]int{"contacts.to_app.created": 4}},
		{ConnectionID: 1, StartedAt: hour.Add(time.Hour), Counts: map[string]int{"contacts.to_app.created": 5}},
		{ConnectionID: 1, StartedAt: hour.Add(2 * time.Hour)},
		{ConnectionID: 2, StartedAt: hour.Add(time.Minute), Counts: map[string]int{"contacts.to_app.created": 100}},
		{ConnectionID: 1, StartedAt: hour.Add(-time.Minute), Counts: map[string]int{"contacts.to_app.created": 100}},
	} {
		r.Trigger, r.Status = "schedule", "succeeded"
		put(t, s, func(ctx context.Context, tx store.Tx) (store.SyncRun, error) { return tx.CreateSyncRun(ctx, r) })
	}
	totals := func(connectionID int64, since time.Time) func(ctx context.Context, tx store.Tx) ([]store.RunTotal, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.RunTotal, error) {
			out, err := tx.SyncRunTotals(ctx, connectionID, since)
			slices.SortFunc(out, func(a, b store.RunTotal) int {
				if c := a.Hour.Compare(b.Hour); c != 0 {
					return c
				}
				return strings.Compare(a.Key, b.Key)
			})
			return out, err
		}
	}
	wantRead(t, s, "SyncRunTotals(1, hour)", []store.RunTotal{
		{Hour: hour, Key: "contacts.to_app.created", Sum: 7},
		{Hour: hour, Key: "deals.to_hub.updated", Sum: 1},
		{Hour: hour.Add(time.Hour), Key: "contacts.to_app.created", Sum: 5},
	}, totals(1, hour))
	wantRead(t, s, "SyncRunTotals(1, later)", []store.RunTotal{{Hour: hour, Key: "contacts.to_app.created", Sum: 4},
		{Hour: hour.Add(time.Hour), Key: "contacts.to_app.created", Sum: 5}}, totals(1, hour.Add(time.Minute+time.Second)))
	wantRead(t, s, "SyncRunTotals(3, hour)", nil, totals(3, hour))
}

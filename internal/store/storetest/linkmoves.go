package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// testPutLinksMoveMany: more links than one statement takes change their
// external ids in one call (a step's creates getting the ids the app
// returned), and each ends with its own; a move onto an id held outside
// the call is refused.
func testPutLinksMoveMany(t *testing.T, s store.Store) {
	const s1, s2, n = 1, 2, 1200
	staged := make([]store.Link, n)
	ids := make([]int64, n)
	for i := range staged {
		staged[i] = link(s1, int64(i+1))
		staged[i].ExternalID = fmt.Sprintf("pending:h1-c1-%d", i+1)
		ids[i] = staged[i].HubID
	}
	other := link(s2, 1) // the same external id in another sync is no clash
	other.ExternalID = "ext-7"
	putLinks(t, s, append(staged, other)...)

	moved := make([]store.Link, n)
	for i, l := range staged {
		moved[i] = l
		moved[i].ExternalID = fmt.Sprintf("ext-%d", n-i) // not in hub id order
		moved[i].Snapshot = map[string]string{"email": "new@example.com"}
	}
	putLinks(t, s, moved...)
	wantRead(t, s, "links after moving their external ids", storedLinks(moved...), linksByHubID(s1, ids...), byHubID)
	wantRead(t, s, "a pending external id after the move", nil, linksByExternalID(s1, staged[0].ExternalID))
	wantRead(t, s, "a link of another sync", storedLinks(other), linksByHubID(s2, 1))

	taken := moved[0]
	taken.ExternalID = moved[1].ExternalID
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error { return tx.PutLinks(ctx, []store.Link{taken}) })
}

// testSetLinkExternalIDs: only the external id changes, the rest of each
// link stays as stored, and the count says how many links were found.
func testSetLinkExternalIDs(t *testing.T, s store.Store) {
	const s1 = 1
	const n = 700
	staged := make([]store.Link, n)
	ids := make([]int64, n)
	for i := range staged {
		staged[i] = link(s1, int64(i+1))
		staged[i].ExternalID = fmt.Sprintf("pending:%d", i+1)
		ids[i] = staged[i].HubID
	}
	putLinks(t, s, staged...)
	created := make([]store.Link, n+1)
	want := make([]store.Link, n)
	for i, l := range staged {
		want[i] = l
		want[i].ExternalID = fmt.Sprintf("ext-%d", i+1)
		created[i] = want[i]
		// What the call passes beyond the external id is not written.
		created[i].Snapshot, created[i].UpdatedAt = nil, when(time.Hour)
	}
	created[n] = store.Link{SyncID: s1, HubID: n + 1, ExternalID: "ext-never-staged"}
	var found int
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		found, err = tx.SetLinkExternalIDs(ctx, created)
		return err
	})
	if found != n {
		t.Errorf("SetLinkExternalIDs found %d links, want %d", found, n)
	}
	wantRead(t, s, "links after SetLinkExternalIDs", storedLinks(want...), linksByHubID(s1, append(ids, n+1)...), byHubID)

	taken := want[0]
	taken.ExternalID = want[1].ExternalID
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.SetLinkExternalIDs(ctx, []store.Link{taken})
		return err
	})
	wantRead(t, s, "links after the refused SetLinkExternalIDs", storedLinks(want...), linksByHubID(s1, ids...), byHubID)
}

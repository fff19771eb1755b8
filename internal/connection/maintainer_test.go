package connection_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// wantPeople fails unless connection id has the owner and maintainer.
func (tb *testBundle) wantPeople(t *testing.T, id int64, owner, maintainer store.User) {
	t.Helper()
	if c := tb.get(t, id); c.OwnerID != owner.ID || c.MaintainerID != maintainer.ID {
		t.Fatalf("connection %d: owner %d maintainer %d, want %d (%s) and %d (%s)", id, c.OwnerID, c.MaintainerID,
			owner.ID, owner.Email, maintainer.ID, maintainer.Email)
	}
}

// reviewFlags are the review's flags per connection id.
func (tb *testBundle) reviewFlags(t *testing.T) map[int64][]string {
	t.Helper()
	rows, err := tb.b.Hub.Connections.Review(context.Background(), 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]string{}
	for _, r := range rows {
		out[r.Connection.ID] = r.Flags
	}
	return out
}

// TestMaintainerNeverStaysADepartedUser: a maintainer who left the hub is
// flagged by review and replaced by whoever runs the connection on the
// next reconnect or transfer; an active maintainer stays unless the
// transfer names another; offboarding with a transfer moves every role.
func TestMaintainerNeverStaysADepartedUser(t *testing.T) {
	onEachBackend(t, testMaintainerNeverStaysADepartedUser)
}

func testMaintainerNeverStaysADepartedUser(t *testing.T, tb *testBundle) {
	ctx := context.Background()
	s := tb.b.Hub.Connections
	keeper := tb.b.User(t, "keeper@b.example", identity.RoleAdmin, nil)
	third := tb.b.User(t, "third@b.example", identity.RoleMember, editAll)
	reconnected := tb.connect(t, connection.NewConnection{Name: "reconnected", Owner: tb.connector.Email})
	transferred := tb.connect(t, connection.NewConnection{Name: "transferred", Owner: tb.connector.Email})
	kept := tb.connect(t, connection.NewConnection{Name: "kept", Owner: tb.other.Email, Maintainer: keeper.Email})
	tb.wantPeople(t, reconnected.ID, tb.connector, tb.connector)
	tb.wantPeople(t, kept.ID, tb.other, keeper)

	if _, _, err := s.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: tb.connector.Email, Status: identity.StatusRemoved, Force: true}); err != nil {
		t.Fatal(err)
	}
	flags := tb.reviewFlags(t)
	for _, id := range []int64{reconnected.ID, transferred.ID} {
		if !slices.Contains(flags[id], connection.FlagMaintainerDeparted) || !slices.Contains(flags[id], connection.FlagOwnerDeparted) {
			t.Errorf("review flags of connection %d after its owner and maintainer left: %v", id, flags[id])
		}
	}

	started, err := s.Reconnect(ctx, tb.admin, reconnected.ID, connection.Reconnection{Owner: tb.other.Email})
	if err != nil {
		t.Fatal(err)
	}
	tb.approve(t, started.AuthorizeURL)
	tb.wantPeople(t, reconnected.ID, tb.other, tb.other)
	if _, err := s.Transfer(ctx, tb.admin, transferred.ID, connection.TransferTo{Owner: third.Email}); err != nil {
		t.Fatal(err)
	}
	tb.wantPeople(t, transferred.ID, third, third)

	// An active maintainer is someone's choice: a transfer keeps them,
	// unless it names another.
	if _, err := s.Transfer(ctx, tb.admin, kept.ID, connection.TransferTo{Owner: third.Email}); err != nil {
		t.Fatal(err)
	}
	tb.wantPeople(t, kept.ID, third, keeper)
	transfer := "/api/v1/connections/" + strconv.FormatInt(kept.ID, 10) + "/transfer"
	if status, body := tb.call(t, "admin@example.com", "POST", transfer, map[string]any{"maintainer": tb.other.Email}); status != http.StatusOK {
		t.Fatalf("transfer of the maintainer through the API: %d %s", status, body)
	}
	tb.wantPeople(t, kept.ID, third, tb.other)
	if status, body := tb.call(t, "admin@example.com", "POST", transfer, map[string]any{"maintainer": "nobody@b.example"}); status != http.StatusBadRequest {
		t.Fatalf("an unknown maintainer through the API: %d %s", status, body)
	}
	if _, err := s.Transfer(ctx, tb.admin, kept.ID, connection.TransferTo{Maintainer: strconv.FormatInt(tb.connector.ID, 10)}); !errors.Is(err, connection.ErrInvalid) {
		t.Fatalf("a removed user made maintainer: %v", err)
	}

	// Give third a role of each kind: connector of "transferred", owner of
	// "kept" in app mode, maintainer of "reconnected". Offboarding third
	// with a transfer moves every one of them.
	if _, err := s.Transfer(ctx, tb.admin, reconnected.ID, connection.TransferTo{Maintainer: third.Email}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transfer(ctx, tb.admin, kept.ID, connection.TransferTo{AppMode: true, Maintainer: third.Email}); err != nil {
		t.Fatal(err)
	}
	_, deps, err := s.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: third.Email, Status: identity.StatusDeactivated, TransferTo: keeper.Email})
	if err != nil || len(deps) != 3 {
		t.Fatalf("offboard with transfer: %v, %d dependents", err, len(deps))
	}
	tb.wantPeople(t, transferred.ID, keeper, keeper)
	tb.wantPeople(t, kept.ID, keeper, keeper)
	tb.wantPeople(t, reconnected.ID, tb.other, keeper)
	for id, f := range tb.reviewFlags(t) {
		if slices.Contains(f, connection.FlagMaintainerDeparted) || slices.Contains(f, connection.FlagOwnerDeparted) {
			t.Errorf("review still flags connection %d after the transfers: %v", id, f)
		}
	}

	// Nobody who left the hub takes a role over: not the accountable owner
	// of an app-mode connection, nor whoever an offboarding hands over to,
	// even for connections the departing user only maintains.
	if _, err := s.Transfer(ctx, tb.admin, kept.ID, connection.TransferTo{AppMode: true, Owner: third.Email}); !errors.Is(err, connection.ErrInvalid) {
		t.Fatalf("an app-mode connection transferred to a deactivated owner: %v", err)
	}
	helper := tb.b.User(t, "helper@b.example", identity.RoleAdmin, nil)
	if _, err := s.Transfer(ctx, tb.admin, kept.ID, connection.TransferTo{Maintainer: helper.Email}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: helper.Email, Status: identity.StatusDeactivated, TransferTo: third.Email}); !errors.Is(err, connection.ErrInvalid) {
		t.Fatalf("an offboarding handed over to a deactivated user: %v", err)
	}
	tb.wantPeople(t, kept.ID, keeper, helper)
	for _, n := range []connection.NewConnection{
		{Name: "late", Owner: keeper.Email, Maintainer: third.Email},
		{Name: "late", AuthMode: connection.ModeApp, Owner: third.Email},
	} {
		n.Integration = tb.integration.Name
		if _, err := s.Create(ctx, tb.admin, n); !errors.Is(err, connection.ErrInvalid) {
			t.Fatalf("a connection created naming a deactivated user (%+v): %v", n, err)
		}
	}
}

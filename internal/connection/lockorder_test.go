package connection_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// TestOwnerLockedBeforeConnection: a resume, which applies the connector
// user's state, and a transfer of the maintainer alone, whose preflight
// reads the owner it keeps, lock that user before the connection, as a
// change of the user does (the user, then their connections); on
// PostgreSQL, the other order is a deadlock that aborts one of them.
func TestOwnerLockedBeforeConnection(t *testing.T) {
	for _, c := range []struct {
		name string
		act  func(tb *testBundle, c store.Connection) error
		// want is the answer it gets once the deactivation committed,
		// and the connection's status then.
		want   error
		status string
	}{
		{"resume", func(tb *testBundle, c store.Connection) error {
			_, err := tb.b.Hub.Connections.Resume(context.Background(), tb.admin, c.ID)
			return err
		}, nil, connection.StatusNeedsReconnect},
		{"maintainer", func(tb *testBundle, c store.Connection) error {
			_, err := tb.b.Hub.Connections.Transfer(context.Background(), tb.admin, c.ID, connection.TransferTo{Maintainer: tb.other.Email})
			return err
		}, connection.ErrPreflight, connection.StatusPaused},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tb := setup(t, hubtest.Postgres)
			ctx := context.Background()
			conn := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
			if _, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, conn.ID); err != nil {
				t.Fatal(err)
			}
			acted := make(chan error, 1)
			// As the identity hook does: the user, then their connections.
			err := tb.b.Hub.Store.Update(ctx, func(tx store.Tx) error {
				u, err := tx.User(ctx, tb.connector.ID)
				if err != nil {
					return err
				}
				go func() { acted <- c.act(tb, conn) }()
				time.Sleep(200 * time.Millisecond) // room for the other side to lock what it locks first
				u.Status = identity.StatusDeactivated
				if err := tx.UpdateUser(ctx, u); err != nil {
					return err
				}
				_, err = tx.Connection(ctx, conn.ID)
				return err
			})
			if err != nil {
				t.Fatalf("the user's change: %v", err)
			}
			if err := <-acted; !errors.Is(err, c.want) {
				t.Fatalf("%s: %v, want %v", c.name, err, c.want)
			}
			got, err := tb.b.Hub.Connections.Get(ctx, conn.ID)
			if err != nil || got.Status != c.status {
				t.Fatalf("after a %s that waited for its connector user's deactivation: %s %s (%v)", c.name, got.Status, got.Reason, err)
			}
		})
	}
}

package connection_test

import (
	"context"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// BenchmarkCredential is what every sync call pays for its token: a read of
// the connection and an unseal.
func BenchmarkCredential(b *testing.B) {
	for _, backend := range hubtest.Backends {
		b.Run(string(backend), func(b *testing.B) {
			tb := setup(b, backend)
			c := tb.connect(b, connection.NewConnection{Owner: tb.connector.Email})
			ctx := context.Background()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := tb.b.Hub.Connections.Credential(ctx, c.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkRefresh is one refresh through A's token endpoint, end to end:
// the lease, the HTTP call, the sealed write.
func BenchmarkRefresh(b *testing.B) {
	tb := setup(b, hubtest.SQLite)
	c := tb.connect(b, connection.NewConnection{Owner: tb.connector.Email})
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		tb.expire(b, c.ID)
		if _, err := tb.b.Hub.Connections.Credential(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck is one health check: token info at A.
func BenchmarkCheck(b *testing.B) {
	tb := setup(b, hubtest.SQLite)
	c := tb.connect(b, connection.NewConnection{Owner: tb.connector.Email})
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if _, err := tb.b.Hub.Connections.Check(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteGate is what a sync run pays to know it may still write:
// before each external batch (batch: MayWrite, a read of the generation
// alone), and in each hub write transaction (held_write: Hold, the same
// read holding the row, before a one-row write; write is that write alone).
func BenchmarkWriteGate(b *testing.B) {
	for _, backend := range hubtest.Backends {
		tb := setup(b, backend)
		c := tb.connect(b, connection.NewConnection{Owner: tb.connector.Email})
		ctx := context.Background()
		sess, err := tb.b.Hub.Connections.Open(ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		write := func(tx store.Tx) error { return tx.SetSyncCursor(ctx, 1, store.SideHub, "cursor") }
		for _, bc := range []struct {
			name string
			op   func() error
		}{
			{"batch", func() error {
				return tb.b.Hub.Connections.MayWrite(ctx, &sess, "contacts", func(store.Tx) error { return nil })
			}},
			{"write", func() error { return tb.b.Hub.Store.Update(ctx, write) }},
			{"held_write", func() error {
				return tb.b.Hub.Store.Update(ctx, func(tx store.Tx) error {
					if err := tb.b.Hub.Connections.Hold(ctx, tx, &sess); err != nil {
						return err
					}
					return write(tx)
				})
			}},
		} {
			b.Run(string(backend)+"/"+bc.name, func(b *testing.B) {
				for range b.N {
					if err := bc.op(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

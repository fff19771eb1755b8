package connection_test

import (
	"context"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
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

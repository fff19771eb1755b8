package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgAdmin hands out fresh schemas of the database --database-url names and
// drops them all when the run ends, whatever way it ends.
type pgAdmin struct {
	base    string
	mu      sync.Mutex
	schemas []string
}

// schema creates a new, empty schema.
func (p *pgAdmin) schema(ctx context.Context) (string, error) {
	buf := make([]byte, 6)
	rand.Read(buf)
	name := "hubsync_bench_" + hex.EncodeToString(buf)
	conn, err := pgx.Connect(ctx, p.base)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", err
	}
	p.mu.Lock()
	p.schemas = append(p.schemas, name)
	p.mu.Unlock()
	return name, nil
}

// url is the database URL with its search path set to schema.
func (p *pgAdmin) url(schema string) string {
	u, err := url.Parse(p.base)
	if err != nil {
		return p.base
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// dropAll drops every schema the run made; it runs after the hubs using
// them have stopped.
func (p *pgAdmin) dropAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.schemas {
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE"); err != nil {
			return err
		}
	}
	p.schemas = nil
	return nil
}

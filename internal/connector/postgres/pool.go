package postgres

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Record sync keeps a small pool of connections per connection URL: the
// engine calls Changes and Apply many times a second during a backfill, and
// a new connection (TCP, maybe TLS, authentication) costs 2–5 ms, as much as
// a whole Apply of 500 rows. Check does not use the pools: it must prove
// the login works now, not reuse a connection that was made earlier.
const (
	// poolMaxConns bounds the load one connection puts on a database that
	// is not the hub's own.
	poolMaxConns = 4
	// poolConnIdle closes a connection nobody used for this long.
	poolConnIdle = 5 * time.Minute
	// poolIdle closes a whole pool nobody used for this long, such as the
	// pool of a URL whose password was rotated.
	poolIdle = 15 * time.Minute
	// metaTTL is how long what the catalog says about a table is trusted;
	// an error that suggests the table changed drops it sooner.
	metaTTL = time.Minute
)

// pools holds the connection pools and table descriptions of a Connector.
// Its zero value is ready; it must not be copied after first use.
type pools struct {
	mu    sync.Mutex
	byURL map[[32]byte]*poolEntry
}

type poolEntry struct {
	pool     *pgxpool.Pool
	lastUsed time.Time
	meta     map[string]*tableMeta // by tableName.sql()
}

// poolKey is a hash of the URL, so the map does not hold one more copy of
// the password.
func poolKey(url string) [32]byte { return sha256.Sum256([]byte(url)) }

// pool returns the pool for s, making it if need be. Connecting happens
// later, on first use, so errors come from Acquire and go through classify.
func (c *Connector) pool(s *settings, url string) (*poolEntry, error) {
	p := &c.pools
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, e := range p.byURL {
		if now.Sub(e.lastUsed) > poolIdle {
			delete(p.byURL, k)
			go e.pool.Close() // waits for connections in use, so not under the lock
		}
	}
	key := poolKey(url)
	if e, ok := p.byURL[key]; ok {
		e.lastUsed = now
		return e, nil
	}
	cfg, err := pgxpool.ParseConfig(s.cfg.ConnString())
	if err != nil {
		return nil, scrubbed(err, s.password)
	}
	// The restricted, exec-mode configuration Validate approved, not a
	// fresh parse of the URL.
	cfg.ConnConfig = s.cfg.Copy()
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	// Values are read and written as text; pin the session settings that
	// change how dates and times look, whatever the database or role
	// defaults are. Both are startup parameters PgBouncer accepts. (Floats
	// print exactly with the default extra_float_digits since PostgreSQL
	// 12, which the catalog queries need anyway.)
	cfg.ConnConfig.RuntimeParams["TimeZone"] = "UTC"
	cfg.ConnConfig.RuntimeParams["DateStyle"] = "ISO, YMD"
	cfg.MaxConns = poolMaxConns
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = poolConnIdle
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, scrubbed(err, s.password)
	}
	if p.byURL == nil {
		p.byURL = map[[32]byte]*poolEntry{}
	}
	e := &poolEntry{pool: pool, lastUsed: now, meta: map[string]*tableMeta{}}
	p.byURL[key] = e
	return e, nil
}

// cachedMeta returns the table description loaded less than metaTTL ago.
func (c *Connector) cachedMeta(e *poolEntry, table string) *tableMeta {
	c.pools.mu.Lock()
	defer c.pools.mu.Unlock()
	m := e.meta[table]
	if m == nil || time.Since(m.loaded) > metaTTL {
		return nil
	}
	return m
}

func (c *Connector) storeMeta(e *poolEntry, table string, m *tableMeta) {
	c.pools.mu.Lock()
	defer c.pools.mu.Unlock()
	if m == nil {
		delete(e.meta, table)
		return
	}
	e.meta[table] = m
}

// Close closes the connections record sync keeps open. A later call opens
// new ones, so Close is safe at any time; the hub calls it on shutdown.
func (c *Connector) Close() {
	p := &c.pools
	p.mu.Lock()
	entries := p.byURL
	p.byURL = nil
	p.mu.Unlock()
	for _, e := range entries {
		e.pool.Close()
	}
	c.listen.closeAll()
}

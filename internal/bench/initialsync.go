package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector/hubspot"
)

// mappings map the ten properties of the record shape to the same names on
// the other side (a hub, or the table's columns).
func mappings() []map[string]string {
	out := make([]map[string]string, len(propNames))
	for i, p := range propNames {
		out[i] = map[string]string{"hub": p, "app": p}
	}
	return out
}

// pair is a hub (B) with a two-way connection to another side.
type pair struct {
	b        *hubProc
	connID   int64
	a        *hubProc // the other hub, for hub↔hub
	table    string   // the table, schema-qualified, for hub↔PostgreSQL
	tableURL string
}

// connectHubs gives b a two-way connection to a with a private app token
// of a, as a person would set it up through b's admin API.
func connectHubs(ctx context.Context, a, b *hubProc) (*pair, error) {
	if err := b.admin.json(ctx, "POST", "/api/v1/integrations", map[string]any{
		"name": "hub-a", "provider": "hubspot", "auth": "private_app", "base_url": a.URL}, nil); err != nil {
		return nil, err
	}
	return connect(ctx, b, map[string]any{"integration": "hub-a", "name": "hub A", "auth_mode": "app", "owner": adminEmail,
		"objects": []string{"contacts"}, "credential": map[string]string{"api_key": a.crm.token}},
		map[string]any{"hub_object": "contacts", "direction": "two_way", "mappings": mappings(), "propagate_deletes": true})
}

// connect creates a connection and its object sync on b.
func connect(ctx context.Context, b *hubProc, conn, sync map[string]any) (*pair, error) {
	var started struct {
		Connection struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"connection"`
	}
	if err := b.admin.json(ctx, "POST", "/api/v1/connections", conn, &started); err != nil {
		return nil, err
	}
	id := started.Connection.ID
	if err := b.admin.json(ctx, "POST", fmt.Sprintf("/api/v1/connections/%d/syncs", id), sync, nil); err != nil {
		return nil, err
	}
	return &pair{b: b, connID: id}, nil
}

// syncNow asks for a run at once, as "sync now" does.
func (p *pair) syncNow(ctx context.Context) error {
	return p.b.admin.json(ctx, "POST", fmt.Sprintf("/api/v1/connections/%d/sync-now", p.connID), nil, nil)
}

// created is how many records the connection's finished runs created in
// direction dir (to_hub or to_app), and whether a run is still going.
func (p *pair) created(ctx context.Context, dir string) (n int, running bool, err error) {
	var runs struct {
		Results []struct {
			Status string         `json:"status"`
			Error  string         `json:"error"`
			Counts map[string]int `json:"counts"`
		} `json:"results"`
	}
	if err := p.b.admin.json(ctx, "GET", fmt.Sprintf("/api/v1/connections/%d/runs?limit=1000", p.connID), nil, &runs); err != nil {
		return 0, false, err
	}
	for _, r := range runs.Results {
		if r.Status == "running" {
			running = true
		}
		n += r.Counts["contacts."+dir+".created"]
	}
	return n, running, nil
}

// waitCreated polls until the connection's runs have created n records in
// dir and none is running. It gives up after a minute with no run going and
// no new record: a sync that stopped, not a slow one.
func (p *pair) waitCreated(ctx context.Context, dir string, n int) error {
	last, lastMoved := -1, time.Now()
	for {
		got, running, err := p.created(ctx, dir)
		if err != nil {
			return err
		}
		if got >= n && !running {
			return nil
		}
		if got != last || running {
			last, lastMoved = got, time.Now()
		}
		if time.Since(lastMoved) > time.Minute {
			return fmt.Errorf("the sync stopped at %d of %d records: no run for a minute", got, n)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// source is a hub seeded with contacts for B to pull, and when.
type source struct {
	h      *hubProc
	n      int
	seeded time.Time
}

// seedSource starts a hub and seeds n contacts (prefix "a"). Sources are
// seeded at the start of the run: the connector leaves records younger than
// its read overlap to a later run, so a fresh seed would make the first run
// bring only part of it, and the scenarios in between use that wait.
func (r *runner) seedSource(ctx context.Context, n int) (*source, error) {
	a, err := r.startHub(ctx, hubSpec{name: fmt.Sprintf("a-%d", n), flags: []string{"--token-rate", "-1"}})
	if err != nil {
		return nil, err
	}
	if _, err := createContacts(ctx, a.crm, "a", 0, n, 4); err != nil {
		return nil, fmt.Errorf("seed A: %w", err)
	}
	return &source{h: a, n: n, seeded: time.Now()}, nil
}

// hubToHub measures B's initial sync of the source's contacts, B pulling
// from it with a private app token. It returns the row and the pair, still
// running, for the scenarios that follow.
func (r *runner) hubToHub(ctx context.Context, src *source) (Row, *pair, error) {
	a, n := src.h, src.n
	row := Row{Name: "initial sync hub→hub (B pulls from A)", Records: n, Unit: "rec/s", Baseline: baseHTTP}
	b, err := r.startHub(ctx, hubSpec{name: fmt.Sprintf("b-%d", n)})
	if err != nil {
		return row, nil, err
	}
	if err := sleep(ctx, hubspot.DefaultReadOverlap+time.Second-time.Since(src.seeded)); err != nil {
		return row, nil, err
	}
	m := startMeter(a, b)
	p, err := connectHubs(ctx, a, b)
	if err != nil {
		return row, nil, err
	}
	p.a = a
	if err := p.syncNow(ctx); err != nil {
		return row, nil, err
	}
	if err := p.waitCreated(ctx, "to_hub", n); err != nil {
		return row, nil, err
	}
	took, cpu := time.Since(m.began), m.cpu()
	if got, err := total(ctx, b.crm); err != nil || got != n {
		return row, nil, errors.Join(err, fmt.Errorf("B holds %d contacts after the sync, want %d", got, n))
	}
	row.Rate = float64(n) / took.Seconds()
	row.CPUPerRecordUs = float64(cpu.Microseconds()) / float64(n)
	row.PeakRSSMiB = mib(b.peakRSS())
	return row, p, nil
}

// total is how many contacts a hub holds, from its search's total.
func total(ctx context.Context, c *client) (int, error) {
	var found struct {
		Total int `json:"total"`
	}
	err := c.json(ctx, "POST", "/crm/v3/objects/contacts/search", map[string]any{"limit": 1, "properties": []string{"email"}}, &found)
	return found.Total, err
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// peopleTable creates the table a hub syncs with in a fresh schema: the ten
// columns of the record shape, the columns the connector keeps, and an
// updated_at its trigger sets on any write.
func (r *runner) peopleTable(ctx context.Context) (table, dbURL string, err error) {
	schema, err := r.pg.schema(ctx)
	if err != nil {
		return "", "", err
	}
	dbURL = r.pg.url(schema)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	cols := strings.Join(propNames[1:], " text, ") + " text"
	_, err = conn.Exec(ctx, `CREATE TABLE people (id bigserial PRIMARY KEY, email text UNIQUE, `+cols+`,
		origin text UNIQUE, deleted boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())`)
	return schema + ".people", dbURL, err
}

// connectTable gives h a two-way connection to the table. The trigger
// makes plain SQL writes visible, which the propagation scenarios need.
func connectTable(ctx context.Context, h *hubProc, table, dbURL string) (*pair, error) {
	if err := h.admin.json(ctx, "POST", "/api/v1/integrations", map[string]any{
		"name": "warehouse", "provider": "postgres", "auth": "password"}, nil); err != nil {
		return nil, err
	}
	p, err := connect(ctx, h, map[string]any{"integration": "warehouse", "name": "people", "auth_mode": "app", "owner": adminEmail,
		"objects": []string{"contacts"}, "credential": map[string]string{"url": dbURL},
		"config": map[string]string{"table": table, "key_column": "id", "updated_column": "updated_at", "origin_column": "origin",
			"deleted_column": "deleted", "install_trigger": "true", "create_index": "true"}},
		map[string]any{"hub_object": "contacts", "external_object": "people", "direction": "two_way", "mappings": mappings(),
			"propagate_deletes": true, "hub_match_key": "email"})
	if err != nil {
		return nil, err
	}
	p.table, p.tableURL = table, dbURL
	return p, nil
}

// hubToPostgres measures a hub's initial sync of n contacts into an empty
// table.
func (r *runner) hubToPostgres(ctx context.Context, n int) (Row, *pair, error) {
	row := Row{Name: "initial sync hub→PostgreSQL", Records: n, Unit: "rec/s", Baseline: basePG}
	h, err := r.startHub(ctx, hubSpec{name: fmt.Sprintf("pg-%d", n)})
	if err != nil {
		return row, nil, err
	}
	if _, err := createContacts(ctx, h.crm, "h", 0, n, 4); err != nil {
		return row, nil, fmt.Errorf("seed the hub: %w", err)
	}
	table, dbURL, err := r.peopleTable(ctx)
	if err != nil {
		return row, nil, err
	}
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return row, nil, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	m := startMeter(h)
	p, err := connectTable(ctx, h, table, dbURL)
	if err != nil {
		return row, nil, err
	}
	if err := p.syncNow(ctx); err != nil {
		return row, nil, err
	}
	if err := waitRows(ctx, db, table, n); err != nil {
		return row, nil, err
	}
	took, cpu := time.Since(m.began), m.cpu()
	row.Rate = float64(n) / took.Seconds()
	row.CPUPerRecordUs = float64(cpu.Microseconds()) / float64(n)
	row.PeakRSSMiB = mib(h.peakRSS())
	return row, p, nil
}

// waitRows polls the table until it holds n rows, or until a minute passes
// with no new row. The highest key shows progress at the cost of one index
// lookup, so polling does not slow the database being written; the rows
// are counted once it is high enough.
func waitRows(ctx context.Context, db *pgx.Conn, table string, n int) error {
	var last int64 = -1
	lastMoved := time.Now()
	for {
		var top int64
		if err := db.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM "+table).Scan(&top); err != nil {
			return err
		}
		if top >= int64(n) {
			var got int
			if err := db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil {
				return err
			}
			if got >= n {
				return nil
			}
		}
		if top != last {
			last, lastMoved = top, time.Now()
		}
		if time.Since(lastMoved) > time.Minute {
			return fmt.Errorf("no row added to the table for a minute, %d of %d keys used", top, n)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

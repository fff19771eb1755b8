package syncer_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/syncer"
)

// pgBundle is hub B synced two ways with a table on the local PostgreSQL.
type pgBundle struct {
	b    *hubtest.Env
	db   *pgx.Conn
	conn store.Connection
}

func setupPostgres(t testing.TB) *pgBundle {
	t.Helper()
	ctx := context.Background()
	admin := pgtest.URL(t)
	u, _ := url.Parse(admin)
	schema := u.Query().Get("search_path")
	db, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	if _, err := db.Exec(ctx, `CREATE TABLE people (id bigserial PRIMARY KEY, email text UNIQUE, first_name text,
		last_name text, origin text UNIQUE, deleted boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	tb := &pgBundle{b: hubtest.New(t, hubtest.SQLite), db: db}
	u.User = url.UserPassword("postgres", "unused-with-trust-auth")
	q := url.Values{"sslmode": {"disable"}, "search_path": {schema}}
	u.RawQuery = q.Encode()
	in, err := tb.b.Hub.Connections.CreateIntegration(ctx, audit.CLI, connection.NewIntegration{Name: "warehouse", Provider: "postgres", AuthKind: connection.AuthPassword})
	if err != nil {
		t.Fatal(err)
	}
	started, err := tb.b.Hub.Connections.Create(ctx, audit.CLI, connection.NewConnection{Integration: in.Name, Name: "people",
		AuthMode: connection.ModeApp, Objects: []string{"contacts"}, Credential: connectorURL(u.String()),
		Config: map[string]string{"table": schema + ".people", "key_column": "id", "updated_column": "updated_at",
			"origin_column": "origin", "deleted_column": "deleted", "install_trigger": "true", "create_index": "true", "commit_lag": "0s"}})
	if err != nil {
		t.Fatalf("create postgres connection: %v", err)
	}
	tb.conn = started.Connection
	matchKey := "email"
	_, err = tb.b.Hub.Syncer.AddObjectSync(ctx, audit.CLI, tb.conn.ID, syncer.ObjectSyncInput{HubObject: "contacts",
		ExternalObject: "people", HubMatchKey: &matchKey, PropagateDeletes: true,
		Mappings: []store.FieldMapping{{Hub: "email", App: "email"}, {Hub: "firstname", App: "first_name"}, {Hub: "lastname", App: "last_name"}}})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *pgBundle) run(t testing.TB) {
	t.Helper()
	if err := tb.b.Hub.Syncer.Run(context.Background(), tb.conn.ID, "manual"); err != nil {
		t.Fatalf("run: %v", err)
	}
}

func (tb *pgBundle) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := tb.db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (tb *pgBundle) rows(t testing.TB) map[string][2]string {
	t.Helper()
	rows, err := tb.db.Query(context.Background(), `SELECT email, coalesce(first_name, ''), coalesce(last_name, '') FROM people WHERE NOT deleted`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]string{}
	for rows.Next() {
		var email, first, last string
		if err := rows.Scan(&email, &first, &last); err != nil {
			t.Fatal(err)
		}
		out[email] = [2]string{first, last}
	}
	return out
}

func TestPostgresTwoWay(t *testing.T) {
	t.Parallel()
	tb := setupPostgres(t)
	onHub := create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	tb.exec(t, `INSERT INTO people (email, first_name) VALUES ('bob@example.com', 'Bob')`)
	tb.run(t)
	if got := tb.rows(t)["ada@example.com"]; got[0] != "Ada" {
		t.Fatalf("the hub's contact did not reach the table: %v", tb.rows(t))
	}
	if got := byEmail(t, tb.b)["bob@example.com"]; got["firstname"] != "Bob" {
		t.Fatalf("the table's row did not reach the hub: %v", byEmail(t, tb.b))
	}

	tb.exec(t, `UPDATE people SET last_name = 'Builder' WHERE email = 'bob@example.com'`)
	update(t, tb.b, onHub.ID, map[string]string{"lastname": "Lovelace"})
	tb.run(t)
	if got := byEmail(t, tb.b)["bob@example.com"]; got["lastname"] != "Builder" {
		t.Fatalf("a plain SQL update did not reach the hub: %v", got)
	}
	if got := tb.rows(t)["ada@example.com"]; got[1] != "Lovelace" {
		t.Fatalf("a hub update did not reach the table: %v", got)
	}

	tb.exec(t, `UPDATE people SET deleted = true WHERE email = 'bob@example.com'`)
	tb.run(t)
	if _, ok := byEmail(t, tb.b)["bob@example.com"]; ok {
		t.Fatal("a soft delete in the table did not archive the hub's contact")
	}
	var n int
	if err := tb.db.QueryRow(context.Background(), `SELECT count(*) FROM people`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows (%v), want 2: no duplicates", n, err)
	}
}

func connectorURL(u string) connector.Credential { return connector.Credential{URL: u} }

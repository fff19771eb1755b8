package connection_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	connpg "github.com/hubsync/hubsync/internal/connector/postgres"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/vault"
)

// plaintextIn reports which secrets appear in the database: on SQLite in
// the raw database and WAL files, on PostgreSQL in every row of every table
// of the hub's schema rendered as text (bytea as hex).
func plaintextIn(t *testing.T, env *hubtest.Env, secrets map[string]string) []string {
	t.Helper()
	var dump []byte
	if env.Config.DatabaseURL == "" {
		for _, suffix := range []string{"", "-wal"} {
			raw, err := os.ReadFile(env.Config.SQLitePath() + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			dump = append(dump, raw...)
		}
	} else {
		db := env.DB(t)
		rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, name)
		}
		rows.Close()
		for _, table := range tables {
			rows, err := db.Query(`SELECT t::text FROM "` + table + `" t`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var row string
				if err := rows.Scan(&row); err != nil {
					t.Fatal(err)
				}
				dump = append(dump, row...)
			}
			rows.Close()
		}
	}
	var found []string
	for name, secret := range secrets {
		if bytes.Contains(dump, []byte(secret)) || bytes.Contains(dump, []byte(hex.EncodeToString([]byte(secret)))) {
			found = append(found, name)
		}
	}
	return found
}

func TestKeysRotateResealsOnline(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, backend)
			ctx := context.Background()
			c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
			cred, err := tb.b.Hub.Connections.Credential(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, hookSecret, err := tb.b.Hub.Webhooks.Create(ctx, tb.admin, "https://hooks.example/in", nil)
			if err != nil {
				t.Fatal(err)
			}
			v := tb.b.Hub.Vault
			old := v.Primary()
			if _, err := v.Rotate(); err != nil {
				t.Fatal(err)
			}
			stats, err := vault.Reseal(ctx, tb.b.Hub.Store, v, nil)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Connections != 1 || stats.Integrations != 1 || stats.Webhooks != 1 {
				t.Fatalf("resealed %+v, want the connection, the integration and the webhook", stats)
			}
			inUse, err := vault.InUse(ctx, tb.b.Hub.Store, v)
			if err != nil || inUse[old] != 0 || inUse[v.Primary()] < 3 {
				t.Fatalf("keys in use after reseal: %v %v", inUse, err)
			}
			if err := v.Retire(old); err != nil {
				t.Fatalf("retire the old key: %v", err)
			}
			if _, err := tb.b.Hub.Connections.Check(ctx, c.ID); err != nil {
				t.Fatalf("check after rotation: %v", err)
			}
			tb.expire(t, c.ID)
			fresh, err := tb.b.Hub.Connections.Credential(ctx, c.ID)
			if err != nil || fresh.AccessToken == cred.AccessToken {
				t.Fatalf("refresh after rotation (uses the resealed client secret and refresh token): %v", err)
			}
			if found := plaintextIn(t, tb.b, map[string]string{"control": tb.connector.Email}); len(found) != 1 {
				t.Fatal("the scan does not see what is stored in plaintext")
			}
			secrets := map[string]string{"access token": fresh.AccessToken, "refresh token": fresh.RefreshToken,
				"old refresh token": cred.RefreshToken, "webhook secret": hookSecret}
			if found := plaintextIn(t, tb.b, secrets); len(found) > 0 {
				t.Fatalf("plaintext in the database: %v", found)
			}
		})
	}
}

// pgTable makes a table people(id, email, updated_at) in a schema of its
// own and a login role granted privs on it; it returns the URL the role
// connects with.
func pgTable(t *testing.T, privs string) (connector.Credential, string) {
	t.Helper()
	admin := pgtest.URL(t)
	u, _ := url.Parse(admin)
	schema := u.Query().Get("search_path")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	role := "conn_" + schema
	password := "pw-" + schema
	for _, sql := range []string{
		"CREATE TABLE " + schema + ".people (id bigint PRIMARY KEY, email text, updated_at timestamptz)",
		"CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT " + privs + " ON " + schema + ".people TO " + role,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP OWNED BY "+role)
		c.Exec(context.Background(), "DROP ROLE "+role)
	})
	u.User = url.UserPassword(role, password)
	u.RawQuery = url.Values{"sslmode": {"disable"}}.Encode()
	return connector.Credential{URL: u.String()}, schema
}

func TestPostgresConnectionReportsMissingPrivilege(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	cred, schema := pgTable(t, "SELECT, UPDATE")
	in, err := tb.b.Hub.Connections.CreateIntegration(ctx, tb.admin, connection.NewIntegration{
		Name: "warehouse", Provider: "postgres", AuthKind: connection.AuthPassword})
	if err != nil {
		t.Fatal(err)
	}
	n := connection.NewConnection{Integration: in.Name, Name: "people", AuthMode: connection.ModeApp, Credential: cred,
		Objects: []string{"contacts"},
		Config:  map[string]string{connpg.ConfigTable: schema + ".people", connpg.ConfigKeyColumn: "id", connpg.ConfigUpdatedColumn: "updated_at"}}
	_, err = tb.b.Hub.Connections.Create(ctx, tb.admin, n)
	e := connector.AsError(err)
	if !e.Definite || e.Reason != connector.ReasonScopesMissing || !strings.Contains(e.Detail, "INSERT") {
		t.Fatalf("create without INSERT: %v", err)
	}
	if conns, _ := tb.b.Hub.Connections.List(ctx); len(conns) != 0 {
		t.Fatal("a connection that failed its live check was saved")
	}

	admin, err := pgx.Connect(ctx, pgtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	role, _ := url.Parse(cred.URL)
	if _, err := admin.Exec(ctx, "GRANT INSERT ON "+schema+".people TO "+role.User.Username()); err != nil {
		t.Fatal(err)
	}
	started, err := tb.b.Hub.Connections.Create(ctx, tb.admin, n)
	if err != nil {
		t.Fatalf("create with every privilege: %v", err)
	}
	c := tb.wantStatus(t, started.Connection.ID, connection.StatusActive, "")
	if _, err := admin.Exec(ctx, "REVOKE UPDATE ON "+schema+".people FROM "+role.User.Username()); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Connections.Check(ctx, c.ID); err == nil {
		t.Fatal("check passed without UPDATE")
	}
	got := tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connector.ReasonScopesMissing)
	if !strings.Contains(got.ReasonDetail, "UPDATE") {
		t.Fatalf("reason detail %q does not name UPDATE", got.ReasonDetail)
	}
	if d := tb.diagnose(t, c.ID); step(t, d, "external_credential").Verdict != connection.Fail {
		t.Fatalf("diagnose: %+v", d.Steps)
	}
	if _, err := admin.Exec(ctx, "GRANT UPDATE ON "+schema+".people TO "+role.User.Username()); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Connections.Reconnect(ctx, tb.admin, c.ID, connection.Reconnection{}); err != nil {
		t.Fatalf("reconnect with the stored URL: %v", err)
	}
	tb.wantStatus(t, c.ID, connection.StatusActive, "")
	password, _ := role.User.Password()
	if found := plaintextIn(t, tb.b, map[string]string{"database password": password}); len(found) > 0 {
		t.Fatal("the database password is stored in plaintext")
	}
	events, _ := tb.b.Hub.Audit.List(ctx, storeQuery("connection"))
	for _, e := range events {
		for _, m := range []map[string]string{e.Before, e.After} {
			for _, v := range m {
				if strings.Contains(v, password) {
					t.Fatal("the audit log holds the database password")
				}
			}
		}
	}
}

package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
)

// The local server trusts every login from 127.0.0.1 (pg_hba.conf: "host
// all all 127.0.0.1/32 trust"), so it never checks a password: a wrong
// password cannot be observed against it. Rejected logins are tested here
// with roles that do not exist or have NOLOGIN (SQLSTATE 28000); SQLSTATE
// 28P01 is tested against a wire-protocol stand-in in fakeserver_test.go.

type testBundle struct {
	admin  *pgx.Conn // superuser, search_path at the test's schema
	schema string
	base   *url.URL // the test database, as the superuser
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	adminURL := pgtest.URL(t) // skips, or fails under CI=true, without PostgreSQL
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	return &testBundle{admin: admin, schema: u.Query().Get("search_path"), base: u}
}

func (b *testBundle) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := b.admin.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// role creates a role with a password and options (LOGIN if none), and
// drops it when the test ends. Roles are cluster-wide, so the
// name is random.
func (b *testBundle) role(t *testing.T, password, options string) string {
	t.Helper()
	name := "sync_" + randHex(5)
	if options == "" {
		options = "LOGIN"
	}
	b.exec(t, fmt.Sprintf("CREATE ROLE %s PASSWORD '%s' %s", name, password, options))
	t.Cleanup(func() {
		ctx := context.Background()
		// DROP OWNED revokes the grants on the test's schema, which would
		// otherwise block DROP ROLE.
		for _, sql := range []string{"DROP OWNED BY " + name, "DROP ROLE " + name} {
			if _, err := b.admin.Exec(ctx, sql); err != nil {
				t.Errorf("%s: %v", sql, err)
			}
		}
	})
	return name
}

// credential is the test database reached as user with password (none in
// the URL when it is empty), plus the query parameters in extra.
func (b *testBundle) credential(user, password string, extra url.Values) connector.Credential {
	u := *b.base
	u.User = url.UserPassword(user, password)
	if password == "" {
		u.User = url.User(user)
	}
	q := url.Values{"sslmode": {"disable"}}
	for k, v := range extra {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return connector.Credential{URL: u.String()}
}

// people creates a table people(id, email, updated_at) in the test's schema
// and grants user USAGE on the schema and privs on the table.
func (b *testBundle) people(t *testing.T, user, privs string) {
	t.Helper()
	b.exec(t, "CREATE TABLE people (id bigint PRIMARY KEY, email text, updated_at timestamptz)")
	b.exec(t, "GRANT USAGE ON SCHEMA "+b.schema+" TO "+user)
	if privs != "" {
		b.exec(t, "GRANT "+privs+" ON people TO "+user)
	}
}

func target(table, key, updated string) connector.Target {
	return connector.Target{AuthKind: "password", Config: map[string]string{
		postgres.ConfigTable: table, postgres.ConfigKeyColumn: key, postgres.ConfigUpdatedColumn: updated,
	}}
}

// checkErr asserts err is a *connector.Error with reason and definiteness,
// and that no text of it holds the password.
func checkErr(t *testing.T, err error, password, reason string, definite bool) *connector.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("Check succeeded, want %s", reason)
	}
	t.Logf("error: %v", err)
	assertNoPassword(t, err, password)
	var e *connector.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, want *connector.Error", err, err)
	}
	if e.Reason != reason || e.Definite != definite {
		t.Fatalf("got reason %q definite %v, want %q definite %v: %v", e.Reason, e.Definite, reason, definite, err)
	}
	return e
}

func assertNoPassword(t *testing.T, err error, password string) {
	t.Helper()
	texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	var e *connector.Error
	if errors.As(err, &e) {
		texts = append(texts, e.Message, e.Detail)
	}
	for _, s := range texts {
		for _, form := range []string{password, url.QueryEscape(password), url.PathEscape(password)} {
			if strings.Contains(s, form) {
				t.Fatalf("error text contains the password: %s", s)
			}
		}
	}
}

// password is distinctive so that finding it in a text is not an accident;
// the / and @ test that the percent-encoded form is scrubbed too.
func password() string { return "pw/" + randHex(6) + "@x" }

func randHex(n int) string {
	buf := make([]byte, n)
	rand.Read(buf)
	return hex.EncodeToString(buf)
}

func TestCheckHealthy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	b.people(t, user, "SELECT, INSERT, UPDATE")
	port := b.base.Port()
	if port == "" {
		port = "5432"
	}
	want := connector.Identity{
		Account: net.JoinHostPort(b.base.Hostname(), port) + "/" + strings.TrimPrefix(b.base.Path, "/"),
		User:    user,
		Scopes:  []string{"SELECT", "INSERT", "UPDATE"},
	}

	tests := []struct {
		name  string
		table string
		extra url.Values
	}{
		{"schema-qualified", b.schema + ".people", nil},
		{"on the search path", "people", url.Values{"search_path": {b.schema}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := postgres.New().Check(context.Background(), target(tt.table, "id", "updated_at"), b.credential(user, pw, tt.extra))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if id.Account != want.Account || id.User != want.User || !slices.Equal(id.Scopes, want.Scopes) {
				t.Fatalf("identity %+v, want %+v", id, want)
			}
		})
	}
}

// TestCheckWithoutPassword connects with a URL that has no password to a
// server that asks for none, as one that trusts local logins or uses
// certificates does.
func TestCheckWithoutPassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	user := b.role(t, "", "")
	b.people(t, user, "SELECT, INSERT, UPDATE")
	id, err := postgres.New().Check(context.Background(), target(b.schema+".people", "id", "updated_at"), b.credential(user, "", nil))
	if err != nil || id.User != user {
		t.Fatalf("Check without a password: %+v, %v", id, err)
	}
}

func TestCheckTableMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	b.people(t, user, "SELECT, INSERT, UPDATE")
	b.exec(t, "CREATE SEQUENCE people_seq")

	tests := []struct {
		name, table string
		extra       url.Values
		wantInMsg   string
	}{
		{"no such table", b.schema + ".persons", nil, "does not exist"},
		{"no such schema", "nowhere_" + randHex(3) + ".people", nil, "schema"},
		{"not on the search path", "people", nil, "search path"},
		{"a sequence", b.schema + ".people_seq", nil, "sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := postgres.New().Check(context.Background(), target(tt.table, "id", "updated_at"), b.credential(user, pw, tt.extra))
			e := checkErr(t, err, pw, postgres.ReasonTableMissing, true)
			if !strings.Contains(e.Message, tt.wantInMsg) || !strings.Contains(e.Message, `"table" setting`) {
				t.Errorf("message %q should say %q and name the setting to correct", e.Message, tt.wantInMsg)
			}
			if id.User != user {
				t.Errorf("identity user %q, want %q: a failed table check still proves the login", id.User, user)
			}
		})
	}
}

func TestCheckColumnMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	// Without privileges: a column the user cannot see is still reported as
	// present, so the fix offered is the GRANT, not adding a column.
	b.people(t, user, "")
	table := b.schema + ".people"

	_, err := postgres.New().Check(context.Background(), target(table, "id", "modified_at"), b.credential(user, pw, nil))
	e := checkErr(t, err, pw, postgres.ReasonColumnMissing, true)
	if want := "modified_at on " + table; e.Detail != want {
		t.Errorf("detail %q, want %q", e.Detail, want)
	}
	if !strings.Contains(e.Message, "updated_column") {
		t.Errorf("message %q should name the setting", e.Message)
	}

	_, err = postgres.New().Check(context.Background(), target(table, "id", "updated_at"), b.credential(user, pw, nil))
	checkErr(t, err, pw, connector.ReasonScopesMissing, true)
}

// TestCheckRefusesWhatSyncCannotUse: Check also checks what record sync
// needs of the table, so a connection that could never sync is refused
// when it is made, with the SQL that fixes it, and passes once that ran.
func TestCheckRefusesWhatSyncCannotUse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	b.people(t, user, "SELECT, INSERT, UPDATE")
	b.exec(t, "ALTER TABLE people ADD origin text, ADD gone boolean")
	table := b.schema + ".people"
	tg := target(table, "id", "updated_at")
	tg.Config[postgres.ConfigOriginColumn], tg.Config[postgres.ConfigDeletedColumn] = "origin", "gone"
	c := postgres.New()
	defer c.Close()

	_, err := c.Check(context.Background(), tg, b.credential(user, pw, nil))
	e := checkErr(t, err, pw, postgres.ReasonColumnUnsupported, true)
	index := fmt.Sprintf("CREATE UNIQUE INDEX ON %s (origin)", table)
	if !strings.HasSuffix(e.Message, index) || e.Detail != "origin on "+table {
		t.Errorf("origin_column without a unique index: %q (%s), want it to end with %q", e.Message, e.Detail, index)
	}
	b.exec(t, index)
	if _, err := c.Check(context.Background(), tg, b.credential(user, pw, nil)); err != nil {
		t.Fatalf("Check after %s: %v", index, err)
	}

	tg.Config[postgres.ConfigDeletedColumn] = "email"
	_, err = c.Check(context.Background(), tg, b.credential(user, pw, nil))
	if e := checkErr(t, err, pw, postgres.ReasonColumnUnsupported, true); !strings.Contains(e.Message, "boolean or timestamp") {
		t.Errorf("a text deleted_column: %q", e.Message)
	}
	tg.Config[postgres.ConfigDeletedColumn], tg.Config[postgres.ConfigInstallTrigger] = "gone", "maybe"
	if _, err := c.Check(context.Background(), tg, b.credential(user, pw, nil)); !errors.Is(err, postgres.ErrInvalidSettings) {
		t.Errorf("Check with install_trigger=maybe: %v", err)
	}
	if err := c.Validate(tg, b.credential(user, pw, nil)); !errors.Is(err, postgres.ErrInvalidSettings) || !strings.Contains(err.Error(), "install_trigger") {
		t.Errorf("Validate with install_trigger=maybe: %v", err)
	}
}

func TestCheckPrivilegeMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	b.people(t, user, "SELECT, UPDATE")
	table := b.schema + ".people"

	id, err := postgres.New().Check(context.Background(), target(table, "id", "updated_at"), b.credential(user, pw, nil))
	e := checkErr(t, err, pw, connector.ReasonScopesMissing, true)
	if want := "INSERT on " + table; e.Detail != want {
		t.Errorf("detail %q, want %q", e.Detail, want)
	}
	grant := fmt.Sprintf("GRANT INSERT ON %s TO %s", table, user)
	if !strings.Contains(e.Message, grant) {
		t.Errorf("message %q should hold %q", e.Message, grant)
	}
	if !slices.Equal(id.Scopes, []string{"SELECT", "UPDATE"}) {
		t.Errorf("scopes %v, want the privileges held", id.Scopes)
	}

	// The GRANT the message gives really fixes it.
	b.exec(t, grant)
	if _, err := postgres.New().Check(context.Background(), target(table, "id", "updated_at"), b.credential(user, pw, nil)); err != nil {
		t.Fatalf("after %s: %v", grant, err)
	}
}

func TestCheckSchemaUsageMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	b.exec(t, "CREATE TABLE people (id bigint, updated_at timestamptz)")
	b.exec(t, "GRANT SELECT, INSERT, UPDATE ON people TO "+user)

	_, err := postgres.New().Check(context.Background(), target(b.schema+".people", "id", "updated_at"), b.credential(user, pw, nil))
	e := checkErr(t, err, pw, connector.ReasonScopesMissing, true)
	if want := "USAGE on schema " + b.schema; e.Detail != want {
		t.Errorf("detail %q, want %q", e.Detail, want)
	}
	if want := fmt.Sprintf("GRANT USAGE ON SCHEMA %s TO %s", b.schema, user); !strings.Contains(e.Message, want) {
		t.Errorf("message %q should hold %q", e.Message, want)
	}
}

func TestCheckLoginRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	nologin := b.role(t, pw, "NOLOGIN")
	tests := []struct{ name, user string }{
		{"NOLOGIN role", nologin},
		{"unknown role", "nobody_" + randHex(5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := postgres.New().Check(context.Background(), target("people", "id", "updated_at"), b.credential(tt.user, pw, nil))
			e := checkErr(t, err, pw, connector.ReasonAPIKeyInvalid, true)
			if !strings.Contains(e.Message, tt.user) {
				t.Errorf("message %q should name the user", e.Message)
			}
		})
	}
}

func TestCheckDatabaseMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	cred := b.credential(user, pw, nil)
	u, _ := url.Parse(cred.URL)
	u.Path = "/nodb_" + randHex(4)

	_, err := postgres.New().Check(context.Background(), target("people", "id", "updated_at"), connector.Credential{URL: u.String()})
	e := checkErr(t, err, pw, connector.ReasonAPIKeyInvalid, true)
	if !strings.Contains(e.Message, u.Path[1:]) || !strings.Contains(e.Message, "does not exist") {
		t.Errorf("message %q should name the missing database", e.Message)
	}
}

func TestCheckConnectPrivilegeMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "")
	// A database of its own: revoking CONNECT on the shared one would
	// break the tests running beside this one.
	db := "hubsync_noconnect_" + randHex(4)
	b.exec(t, "CREATE DATABASE "+db+" TEMPLATE template0")
	t.Cleanup(func() {
		if _, err := b.admin.Exec(context.Background(), "DROP DATABASE "+db); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})
	b.exec(t, "REVOKE CONNECT ON DATABASE "+db+" FROM PUBLIC")
	cred := b.credential(user, pw, nil)
	u, _ := url.Parse(cred.URL)
	u.Path = "/" + db

	_, err := postgres.New().Check(context.Background(), target("people", "id", "updated_at"), connector.Credential{URL: u.String()})
	e := checkErr(t, err, pw, connector.ReasonScopesMissing, true)
	if want := "CONNECT on database " + db; e.Detail != want {
		t.Errorf("detail %q, want %q", e.Detail, want)
	}
	if want := fmt.Sprintf(`GRANT CONNECT ON DATABASE "%s" TO "%s"`, db, user); !strings.Contains(e.Message, want) {
		t.Errorf("message %q should hold %q", e.Message, want)
	}
}

func TestCheckTooManyConnections(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pw := password()
	user := b.role(t, pw, "LOGIN CONNECTION LIMIT 0") // the server answers SQLSTATE 53300

	_, err := postgres.New().Check(context.Background(), target("people", "id", "updated_at"), b.credential(user, pw, nil))
	checkErr(t, err, pw, connector.ReasonUnreachable, false)
}

func TestCheckUnreachable(t *testing.T) {
	t.Parallel()
	pw := password()
	cred := func(hostport string) connector.Credential {
		return connector.Credential{URL: (&url.URL{
			Scheme: "postgres", User: url.UserPassword("someone", pw), Host: hostport, Path: "/db", RawQuery: "sslmode=disable",
		}).String()}
	}

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		_, err := postgres.New().Check(context.Background(), target("people", "id", "updated_at"), cred("127.0.0.1:1"))
		e := checkErr(t, err, pw, connector.ReasonUnreachable, false)
		if !strings.Contains(e.Message, "refused") {
			t.Errorf("message %q should say the connection was refused", e.Message)
		}
	})

	t.Run("no answer", func(t *testing.T) {
		t.Parallel()
		// A listener that accepts and never speaks: the check must end at
		// its timeout, not hang.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		c := &postgres.Connector{Timeout: 300 * time.Millisecond}
		start := time.Now()
		_, err = c.Check(context.Background(), target("people", "id", "updated_at"), cred(ln.Addr().String()))
		checkErr(t, err, pw, connector.ReasonUnreachable, false)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("check took %v with a 300ms timeout", d)
		}
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	const pw = "s3cr3t-pa55"
	good := "postgres://sync:" + pw + "@db.example.com:5432/crm?sslmode=require"
	tests := []struct {
		name, url, table, key, updated string
		wantInErr                      string // "" means valid
	}{
		{"valid", good, "public.people", "id", "updated_at", ""},
		{"valid, default port and table on the search path", "postgresql://sync:" + pw + "@db/crm", "people", "id", "updated_at", ""},
		{"valid, mixed case names", good, "CRM.People", "Id", "Updated_At", ""},
		{"empty URL", "", "people", "id", "updated_at", "missing"},
		{"not a URL", "postgres://sync:" + pw + "@db:notaport/crm", "people", "id", "updated_at", "cannot be parsed"},
		{"other scheme", "mysql://sync:" + pw + "@db/crm", "people", "id", "updated_at", "postgres://"},
		{"keyword/value form", "host=db user=sync password=" + pw + " dbname=crm", "people", "id", "updated_at", "postgres://"},
		{"valid without a password", "postgres://sync@db/crm", "people", "id", "updated_at", ""},
		{"no user", "postgres://:" + pw + "@db/crm", "people", "id", "updated_at", "no user"},
		{"no database", "postgres://sync:" + pw + "@db:5432", "people", "id", "updated_at", "no database"},
		{"several hosts", "postgres://sync:" + pw + "@a:5432,b:5432/crm", "people", "id", "updated_at", "several hosts"},
		{"port out of range", "postgres://sync:" + pw + "@db:70000/crm", "people", "id", "updated_at", "port"},
		{"reads a local file", good + "&sslrootcert=/etc/passwd", "people", "id", "updated_at", `"sslrootcert" is not supported`},
		{"host in the query", good + "&host=/tmp", "people", "id", "updated_at", `"host" is not supported`},
		{"password in the query", "postgres://sync@db/crm?password=" + pw, "people", "id", "updated_at", `"password" is not supported`},
		{"bad sslmode", "postgres://sync:" + pw + "@db/crm?sslmode=maybe", "people", "id", "updated_at", "sslmode"},
		{"no table", good, "", "id", "updated_at", `"table" setting is required`},
		{"three-part table", good, "crm.public.people", "id", "updated_at", "schema.table"},
		{"injection in the table", good, "people; DROP TABLE x", "id", "updated_at", "letters, digits"},
		{"quoted table", good, `"people"`, "id", "updated_at", "letters, digits"},
		{"empty schema", good, ".people", "id", "updated_at", "empty"},
		{"long name", good, strings.Repeat("p", 64), "id", "updated_at", "63 bytes"},
		{"no key column", good, "people", "", "updated_at", `"key_column" setting is required`},
		{"bad updated column", good, "people", "id", "updated at", `"updated_column" setting`},
		{"same column twice", good, "people", "id", "id", "different columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := postgres.New().Validate(target(tt.table, tt.key, tt.updated), connector.Credential{URL: tt.url})
			if tt.wantInErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted it, want an error saying %q", tt.wantInErr)
			}
			if !errors.Is(err, postgres.ErrInvalidSettings) {
				t.Errorf("error %v does not wrap ErrInvalidSettings", err)
			}
			if errors.As(err, new(*connector.Error)) {
				t.Errorf("bad input gave a *connector.Error, which could break the connection: %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q should say %q", err, tt.wantInErr)
			}
			assertNoPassword(t, err, pw)
		})
	}
}

// Check validates before it dials: bad settings are not sent anywhere.
func TestCheckValidatesFirst(t *testing.T) {
	t.Parallel()
	_, err := postgres.New().Check(context.Background(), target("people;", "id", "updated_at"),
		connector.Credential{URL: "postgres://sync:pw-1234@127.0.0.1:1/crm"})
	if !errors.Is(err, postgres.ErrInvalidSettings) {
		t.Fatalf("got %v, want ErrInvalidSettings", err)
	}
}

package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
)

// testBundle is a hub in a data directory driven through the command line,
// with every output kept so a test can check no secret ever appears.
type testBundle struct {
	args    []string // --data-dir …
	outputs strings.Builder
	secrets []string
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	b := &testBundle{args: []string{"--data-dir", t.TempDir()}}
	b.must(t, "", "init", "--admin-email", "boss@example.com", "--admin-password", "long enough")
	t.Cleanup(func() {
		for _, s := range b.secrets {
			if strings.Contains(b.outputs.String(), s) {
				t.Errorf("a secret appeared in the output:\n%s", b.outputs.String())
			}
		}
	})
	return b
}

func (b *testBundle) run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := run(t, stdin, append(append([]string{}, b.args...), args...)...)
	b.outputs.WriteString(out + errOut)
	return code, out, errOut
}

func (b *testBundle) must(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := b.run(t, stdin, args...)
	if code != 0 {
		t.Fatalf("hubsync %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// fails runs a command that must fail and returns what it said.
func (b *testBundle) fails(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := b.run(t, stdin, args...)
	if code == 0 {
		t.Fatalf("hubsync %s succeeded: %s", strings.Join(args, " "), out)
	}
	return errOut
}

// user creates a user and returns its id.
func (b *testBundle) user(t *testing.T, email string, flags ...string) int64 {
	t.Helper()
	var u struct{ ID int64 }
	decodeJSON(t, b.must(t, "", append([]string{"users", "create", "--email", email}, flags...)...), &u)
	return u.ID
}

// table creates schema.name(id, email, updated_at) in the local PostgreSQL
// and returns the database URL with a password (the server trusts local
// logins, so any password works, but the connector requires one), the
// table setting, and a connection to drop things with.
func (b *testBundle) table(t *testing.T, name string) (dbURL, table string, admin *pgx.Conn) {
	t.Helper()
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err = pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	if _, err := admin.Exec(ctx, "CREATE TABLE "+name+" (id bigint PRIMARY KEY, email text, updated_at timestamptz)"); err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	buf := make([]byte, 8)
	rand.Read(buf)
	password := "pw-" + hex.EncodeToString(buf)
	b.secrets = append(b.secrets, password)
	u.User = url.UserPassword(u.User.Username(), password)
	u.RawQuery = url.Values{"sslmode": {"disable"}}.Encode()
	return u.String(), schema + "." + name, admin
}

type connView struct {
	ID       int64
	Name     string
	Status   string
	AuthMode string `json:"auth_mode"`
	OwnerID  int64  `json:"owner_id"`
	Reason   *struct {
		Code, Message string
		NextStep      string `json:"next_step"`
	}
}

func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}

func (b *testBundle) show(t *testing.T, id int64) connView {
	t.Helper()
	var c connView
	decodeJSON(t, b.must(t, "", "connections", "show", strconv.FormatInt(id, 10), "--output", "json"), &c)
	return c
}

// postgresConnection connects a table as owner and returns the connection.
func (b *testBundle) postgresConnection(t *testing.T, name, dbURL, table, owner string) connView {
	t.Helper()
	var c connView
	decodeJSON(t, b.must(t, dbURL+"\n", "connections", "create", "--integration", "billing-db", "--name", name,
		"--owner", owner, "--objects", "contacts", "--credential-stdin",
		"--config", "table="+table, "--config", "key_column=id", "--config", "updated_column=updated_at"), &c)
	return c
}

func TestIntegrationsFromTheCommandLine(t *testing.T) {
	b := setup(t)
	secret := "client-secret-" + strings.Repeat("7", 12)
	b.secrets = append(b.secrets, secret)

	var in struct {
		ID        int64
		Name      string
		Settings  map[string]string
		HasSecret bool `json:"has_secret"`
	}
	decodeJSON(t, b.must(t, "", "integrations", "create", "--name", "billing-db", "--provider", "postgres", "--auth", "password"), &in)
	if in.Name != "billing-db" || in.HasSecret {
		t.Errorf("postgres integration: %+v", in)
	}
	decodeJSON(t, b.must(t, secret+"\n", "integrations", "create", "--name", "other-hub", "--provider", "hubspot", "--auth", "oauth2",
		"--base-url", "https://hub.example.com/", "--client-id", "client-1", "--scopes", "crm.objects.contacts.read crm.objects.contacts.write",
		"--client-secret-stdin"), &in)
	if !in.HasSecret || in.Settings["client_id"] != "client-1" || in.Settings["authorize_url"] != "https://hub.example.com/oauth/authorize" ||
		in.Settings["scopes"] != "crm.objects.contacts.read crm.objects.contacts.write" {
		t.Errorf("oauth2 integration: %+v", in)
	}
	oauthID := in.ID

	for _, bad := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"--name", "x", "--provider", "salesforce", "--auth", "oauth2"}, "unknown provider"},
		{"", []string{"--name", "x", "--provider", "postgres", "--auth", "oauth2"}, "offers auth password"},
		{"", []string{"--name", "x", "--provider", "hubspot", "--auth", "oauth2", "--base-url", "https://h.example.com",
			"--client-id", "c", "--scopes", "s"}, "client secret"},
		{"", []string{"--name", "x", "--provider", "hubspot", "--auth", "private_app", "--setting", "client_secret=" + secret}, "looks like a secret"},
		{"", []string{"--name", "x", "--provider", "postgres", "--auth", "password", "--setting", "novalue"}, "key=value"},
		{"\n", []string{"--name", "x", "--provider", "hubspot", "--auth", "oauth2", "--client-secret-stdin"}, "no client secret"},
	} {
		errOut := b.fails(t, bad.stdin, append([]string{"integrations", "create"}, bad.args...)...)
		if !strings.Contains(errOut, bad.want) {
			t.Errorf("integrations create %v: %q, want %q", bad.args, errOut, bad.want)
		}
	}

	list := b.must(t, "", "integrations", "list")
	if !regexp.MustCompile(`(?m)^1\s+billing-db\s+postgres\s+password\s+-`).MatchString(list) ||
		!regexp.MustCompile(`(?m)^2\s+other-hub\s+hubspot\s+oauth2\s+sealed`).MatchString(list) {
		t.Errorf("integrations list:\n%s", list)
	}

	// An oauth2 connection starts in the browser: the command prints where.
	out := b.must(t, "", "connections", "create", "--integration", "other-hub", "--name", "crm", "--owner", "boss@example.com",
		"--public-url", "https://hubsync.example.org")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "browser signed in to the external app") ||
		!strings.Contains(lines[0], "https://hubsync.example.org") || !strings.HasPrefix(lines[1], "https://hub.example.com/oauth/authorize?") {
		t.Fatalf("oauth2 connections create printed:\n%s", out)
	}
	authorize, err := url.Parse(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	if q := authorize.Query(); q.Get("client_id") != "client-1" || q.Get("redirect_uri") != "https://hubsync.example.org/connections/callback" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" {
		t.Errorf("authorize URL %s", lines[1])
	}
	if errOut := b.fails(t, "key\n", "connections", "create", "--integration", "other-hub", "--name", "crm", "--credential-stdin"); !strings.Contains(errOut, "browser") {
		t.Errorf("oauth2 create with a credential: %q", errOut)
	}

	// The connection awaiting consent uses the integration until deleted.
	if errOut := b.fails(t, "", "integrations", "delete", "other-hub"); !strings.Contains(errOut, "uses integration other-hub") {
		t.Errorf("deleting the integration of a connection awaiting consent: %q", errOut)
	}
	b.must(t, "", "connections", "delete", "1")
	decodeJSON(t, b.must(t, "rotated-secret\n", "integrations", "update", "other-hub", "--setting", "scopes=crm.objects.deals.read",
		"--client-secret-stdin"), &in)
	if in.Settings["scopes"] != "crm.objects.deals.read" || !in.HasSecret {
		t.Errorf("integrations update: %+v", in)
	}
	if out := b.must(t, "", "audit", "--target-type", "integration", "--json"); !strings.Contains(out, "integration.update") ||
		strings.Contains(out, "rotated-secret") {
		t.Errorf("integration update audit:\n%s", out)
	}
	b.must(t, "", "integrations", "delete", "other-hub")
	if errOut := b.fails(t, "", "integrations", "delete", strconv.FormatInt(oauthID, 10)); !strings.Contains(errOut, "not found") {
		t.Errorf("deleting a deleted integration: %q", errOut)
	}
	var all []struct{ Name string }
	decodeJSON(t, b.must(t, "", "integrations", "list", "--json"), &all)
	if len(all) != 1 || all[0].Name != "billing-db" {
		t.Errorf("after delete: %+v", all)
	}
}

func TestConnectionLifecycleFromTheCommandLine(t *testing.T) {
	b := setup(t)
	annID := b.user(t, "ann@example.com", "--perm", "contacts=edit")
	dbURL, table, admin := b.table(t, "people")
	b.must(t, "", "integrations", "create", "--name", "billing-db", "--provider", "postgres", "--auth", "password")

	if errOut := b.fails(t, "", "connections", "create", "--integration", "billing-db", "--name", "x", "--owner", "ann@example.com"); !strings.Contains(errOut, "--credential-stdin") {
		t.Errorf("create without a credential: %q", errOut)
	}
	if errOut := b.fails(t, dbURL+"\n", "connections", "create", "--integration", "billing-db", "--name", "x", "--owner", "ann@example.com",
		"--objects", "deals", "--credential-stdin", "--config", "table="+table, "--config", "key_column=id", "--config", "updated_column=updated_at"); !strings.Contains(errOut, "may not edit deals") {
		t.Errorf("create failing the preflight: %q", errOut)
	}
	if errOut := b.fails(t, dbURL+"\n", "connections", "create", "--integration", "billing-db", "--name", "x", "--owner", "ann@example.com",
		"--credential-stdin", "--objects", "contacts", "--config", "table="+table+"_nope", "--config", "key_column=id", "--config", "updated_column=updated_at"); !strings.HasPrefix(errOut, "error: external_table_missing: ") {
		t.Errorf("create against a missing table: %q, want reason: message", errOut)
	}

	c := b.postgresConnection(t, "billing", dbURL, table, "ann@example.com")
	if c.Status != "active" || c.AuthMode != "user" || c.OwnerID != annID || c.Reason != nil {
		t.Fatalf("created %+v", c)
	}
	id := strconv.FormatInt(c.ID, 10)

	list := b.must(t, "", "connections", "list")
	if !regexp.MustCompile(`(?m)^` + id + `\s+billing\s+active\s+-\s+user\s+ann@example\.com\s+\d{4}-`).MatchString(list) {
		t.Errorf("connections list:\n%s", list)
	}
	if got := b.show(t, c.ID); got.Name != "billing" || got.Status != "active" {
		t.Errorf("show: %+v", got)
	}

	diag := b.must(t, "", "connections", "diagnose", id)
	for _, want := range []string{`(?m)^PASS\s+connector_user\s+The connector user ann@example.com exists`, `(?m)^PASS\s+permissions\s`,
		`(?m)^PASS\s+external_credential\s`, `(?m)^PASS\s+external_grant\s`, `(?m)^WARN\s+last_run\s+No sync run yet.*Next: `, `(?m)^Verdict: WARN\.`} {
		if !regexp.MustCompile(want).MatchString(diag) {
			t.Errorf("diagnose lacks %s:\n%s", want, diag)
		}
	}
	var d struct {
		Verdict string
		Steps   []struct{ Name, Verdict string }
	}
	decodeJSON(t, b.must(t, "", "connections", "diagnose", id, "--json"), &d)
	if d.Verdict != "warn" || len(d.Steps) != 7 || d.Steps[0].Name != "status" || d.Steps[6].Name != "last_run" || d.Steps[6].Verdict != "warn" {
		t.Errorf("diagnose --json: %+v", d)
	}

	var v connView
	decodeJSON(t, b.must(t, "", "connections", "pause", id), &v)
	if v.Status != "paused" || v.Reason == nil || v.Reason.Code != "paused_by_user" {
		t.Errorf("pause: %+v", v)
	}
	decodeJSON(t, b.must(t, "", "connections", "resume", id), &v)
	if v.Status != "active" {
		t.Errorf("resume: %+v", v)
	}
	if errOut := b.fails(t, "", "connections", "resume", id); !strings.Contains(errOut, "not paused") {
		t.Errorf("resuming an active connection: %q", errOut)
	}
	if errOut := b.fails(t, "", "connections", "transfer", id); !strings.Contains(errOut, "--app-mode") {
		t.Errorf("transfer without a target: %q", errOut)
	}
	decodeJSON(t, b.must(t, "", "connections", "transfer", id, "--app-mode"), &v)
	if v.AuthMode != "app" || v.Status != "active" || v.OwnerID != annID {
		t.Errorf("transfer to app mode: %+v", v)
	}
	if out := b.must(t, "", "connections", "check", id); !strings.Contains(out, `connection `+id+` "billing" is active`) {
		t.Errorf("check: %q", out)
	}

	review := b.must(t, "", "review")
	if !regexp.MustCompile(`(?m)^` + id + `\s+billing\s+postgres\s+active\s+app\s+ann@example\.com\s+active\s+member\s+\S+\s+\S+\s+never\s+-\s+owned_by_non_admin$`).MatchString(review) {
		t.Errorf("review:\n%s", review)
	}

	// A table that disappears breaks the connection, with the database's reason.
	if _, err := admin.Exec(context.Background(), "DROP TABLE people"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := b.run(t, "", "connections", "check", id)
	if code == 0 || !strings.Contains(out, "is needs_reconnect (external_table_missing)") || !strings.HasPrefix(errOut, "error: external_table_missing: ") {
		t.Errorf("check after the table was dropped: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = b.run(t, "", "connections", "diagnose", id)
	if code != 1 || !regexp.MustCompile(`(?m)^FAIL\s+external_credential\s.*Next: Create the table`).MatchString(out) || !strings.Contains(out, "Verdict: FAIL.") {
		t.Errorf("diagnose of a broken connection: exit %d\n%s", code, out)
	}
	var rows []struct {
		ConnectionID int64 `json:"connection_id"`
		Flags        []string
	}
	decodeJSON(t, b.must(t, "", "review", "--json"), &rows)
	if len(rows) != 1 || strings.Join(rows[0].Flags, ",") != "owned_by_non_admin,failing" {
		t.Errorf("review --json: %+v", rows)
	}

	out = b.must(t, "", "connections", "delete", id)
	if !strings.Contains(out, "deleted") {
		t.Errorf("delete: %q", out)
	}
	if got := b.show(t, c.ID); got.Status != "disconnected" || got.Reason == nil || got.Reason.Code != "deleted_by_user" {
		t.Errorf("after delete: %+v", got)
	}
	if errOut := b.fails(t, "", "connections", "show", "99"); !strings.Contains(errOut, "connection 99: not found") {
		t.Errorf("show of an unknown connection: %q", errOut)
	}

	var events []struct {
		Action, Actor string
		TargetID      string `json:"target_id"`
	}
	decodeJSON(t, b.must(t, "", "audit", "--target-type", "connection", "--target-id", id, "--json"), &events)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
		if e.TargetID != id {
			t.Errorf("audit --target-id %s listed %+v", id, e)
		}
	}
	for _, want := range []string{"connection.create", "connection.pause", "connection.resume", "connection.transfer", "connection.status", "connection.delete"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
	if actions[0] != "connection.delete" {
		t.Errorf("audit is not newest first: %v", actions)
	}
	table2 := b.must(t, "", "audit", "--limit", "3")
	if n := strings.Count(strings.TrimSpace(table2), "\n"); n != 3 || !strings.Contains(table2, "cli") || !strings.Contains(table2, "status: needs_reconnect → disconnected") {
		t.Errorf("audit --limit 3:\n%s", table2)
	}
}

func TestHubSpotPrivateAppConnection(t *testing.T) {
	b := setup(t)
	env := hubtest.New(t, hubtest.SQLite)
	token := env.Token(t, hubtest.AllScopes...)
	b.secrets = append(b.secrets, token)
	b.user(t, "ann@example.com", "--role", "admin")
	b.must(t, "", "integrations", "create", "--name", "other-hub", "--provider", "hubspot", "--auth", "private_app", "--base-url", env.URL)

	errOut := b.fails(t, "pat-hs1-not-a-real-token\n", "connections", "create", "--integration", "other-hub", "--name", "crm",
		"--owner", "ann@example.com", "--credential-stdin")
	if !strings.HasPrefix(errOut, "error: api_key_invalid: ") || strings.Contains(errOut, "not-a-real-token") {
		t.Errorf("a wrong key: %q", errOut)
	}
	var c connView
	decodeJSON(t, b.must(t, token+"\n", "connections", "create", "--integration", "1", "--name", "crm",
		"--owner", "ann@example.com", "--note", "runs the sales pipeline", "--credential-stdin"), &c)
	if c.Status != "active" {
		t.Fatalf("created %+v", c)
	}
	id := strconv.FormatInt(c.ID, 10)
	diag := b.must(t, "", "connections", "diagnose", id)
	if n := len(regexp.MustCompile(`(?m)^PASS `).FindAllString(diag, -1)); n != 6 || !strings.Contains(diag, "Verdict: WARN.") {
		t.Errorf("diagnose:\n%s", diag)
	}

	// Rotating the key on the other hub breaks the connection until a
	// reconnect with the new one.
	_, newToken, err := env.Hub.PrivateApps.Rotate(context.Background(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.secrets = append(b.secrets, newToken)
	if code, out, _ := b.run(t, "", "connections", "check", id); code == 0 || !strings.Contains(out, "needs_reconnect (api_key_invalid)") {
		t.Errorf("check after the key was rotated: exit %d %q", code, out)
	}
	if errOut := b.fails(t, "", "connections", "reconnect", id); !strings.Contains(errOut, "--credential-stdin") {
		t.Errorf("reconnect without the key: %q", errOut)
	}
	var v connView
	decodeJSON(t, b.must(t, newToken+"\n", "connections", "reconnect", id, "--credential-stdin"), &v)
	if v.ID != c.ID || v.Status != "active" || v.Reason != nil {
		t.Errorf("reconnect: %+v", v)
	}
}

func TestOffboardingFromTheCommandLine(t *testing.T) {
	b := setup(t)
	annID := b.user(t, "ann@example.com", "--perm", "contacts=edit")
	bobID := b.user(t, "bob@example.com", "--role", "admin")
	b.user(t, "carl@example.com", "--perm", "contacts=edit")
	b.user(t, "dana@example.com", "--perm", "contacts=edit")
	b.must(t, "", "integrations", "create", "--name", "billing-db", "--provider", "postgres", "--auth", "password")
	dbURL, table, _ := b.table(t, "people")
	anns := b.postgresConnection(t, "ann's sync", dbURL, table, "ann@example.com")
	carls := b.postgresConnection(t, "carl's sync", dbURL, table, "carl@example.com")
	danas := b.postgresConnection(t, "dana's sync", dbURL, table, "dana@example.com")

	impact := b.must(t, "", "users", "impact", "ann@example.com")
	if !strings.Contains(impact, "has 1 connection;") || !regexp.MustCompile(`(?m)^\d+\s+ann's sync\s+connector\s+user\s+active`).MatchString(impact) {
		t.Errorf("users impact:\n%s", impact)
	}
	var iv struct {
		User        struct{ Email string }
		Connections []struct {
			Role       string
			Connection connView
		}
	}
	decodeJSON(t, b.must(t, "", "users", "impact", "ann@example.com", "--json"), &iv)
	if iv.User.Email != "ann@example.com" || len(iv.Connections) != 1 || iv.Connections[0].Role != "connector" || iv.Connections[0].Connection.ID != anns.ID {
		t.Errorf("users impact --json: %+v", iv)
	}
	if out := b.must(t, "", "users", "impact", "bob@example.com"); !strings.Contains(out, "breaks nothing") {
		t.Errorf("impact of a user with nothing: %q", out)
	}

	if errOut := b.fails(t, "", "users", "remove", "ann@example.com", "--transfer-to", "ann@example.com"); !strings.Contains(errOut, "name another user") {
		t.Errorf("transfer to the user being removed: %q", errOut)
	}
	errOut := b.fails(t, "", "users", "remove", "ann@example.com")
	if !strings.Contains(errOut, "user owns connections") || !strings.Contains(errOut, `"ann's sync"`) || !strings.Contains(errOut, "--transfer-to") {
		t.Errorf("remove of a connection owner: %q", errOut)
	}
	var u struct{ Status string }
	decodeJSON(t, b.must(t, "", "users", "impact", "ann@example.com", "--json"), &iv)
	if len(iv.Connections) != 1 || b.show(t, anns.ID).Status != "active" {
		t.Errorf("a refused removal changed something: %+v", iv)
	}

	code, out, errOut := b.run(t, "", "users", "remove", "ann@example.com", "--transfer-to", "bob@example.com")
	if code != 0 {
		t.Fatalf("remove --transfer-to: %s", errOut)
	}
	decodeJSON(t, out, &u)
	if u.Status != "removed" || !strings.Contains(errOut, "transferred to bob@example.com") {
		t.Errorf("remove --transfer-to: %s %s", out, errOut)
	}
	if c := b.show(t, anns.ID); c.OwnerID != bobID || c.Status != "active" || c.AuthMode != "user" {
		t.Errorf("after the transfer: %+v (ann is %d)", c, annID)
	}

	decodeJSON(t, b.must(t, "", "users", "remove", "carl@example.com", "--force"), &u)
	if c := b.show(t, carls.ID); u.Status != "removed" || c.Status != "needs_reconnect" || c.Reason == nil || c.Reason.Code != "connector_user_removed" {
		t.Errorf("after remove --force: %+v %+v", u, c)
	}
	b.fails(t, "", "users", "deactivate", "dana@example.com")
	decodeJSON(t, b.must(t, "", "users", "deactivate", "dana@example.com", "--force"), &u)
	if c := b.show(t, danas.ID); u.Status != "deactivated" || c.Status != "needs_reconnect" || c.Reason.Code != "connector_user_deactivated" {
		t.Errorf("after deactivate --force: %+v %+v", u, c)
	}

	review := b.must(t, "", "review")
	if !regexp.MustCompile(`(?m)^` + strconv.FormatInt(carls.ID, 10) + `\s+carl's sync\s+postgres\s+needs_reconnect \(connector_user_removed\)\s+user\s+carl@example\.com\s+removed\s+member\s.*owner_departed,maintainer_departed,failing$`).MatchString(review) {
		t.Errorf("review:\n%s", review)
	}

	list := b.must(t, "", "connections", "list")
	if !regexp.MustCompile(`(?m)^\d+\s+carl's sync\s+needs_reconnect\s+connector_user_removed\s+user\s+carl@example\.com`).MatchString(list) {
		t.Errorf("connections list:\n%s", list)
	}
	if errOut := b.fails(t, "", "connections", "transfer", strconv.FormatInt(carls.ID, 10), "--to", "dana@example.com"); !strings.Contains(errOut, "deactivated") {
		t.Errorf("transfer to a deactivated user: %q", errOut)
	}
	var v connView
	decodeJSON(t, b.must(t, "", "connections", "transfer", strconv.FormatInt(carls.ID, 10), "--to", "bob@example.com"), &v)
	if v.Status != "active" || v.OwnerID != bobID {
		t.Errorf("transfer of a held connection: %+v", v)
	}
}

func TestWebhooksFromTheCommandLine(t *testing.T) {
	b := setup(t)
	var w struct {
		ID     int64
		URL    string
		Events []string
		Secret string
	}
	decodeJSON(t, b.must(t, "", "webhooks", "create", "--url", "https://example.com/hook", "--events", "connection.broken"), &w)
	if w.Secret == "" || w.URL != "https://example.com/hook" || strings.Join(w.Events, ",") != "connection.broken" {
		t.Fatalf("webhooks create: %+v", w)
	}
	// Shown once, at creation, and never again.
	b.outputs.Reset()
	b.secrets = append(b.secrets, w.Secret)
	b.fails(t, "", "webhooks", "create", "--url", "https://example.com/hook", "--events", "connection.exploded")
	list := b.must(t, "", "webhooks", "list")
	if !regexp.MustCompile(`(?m)^1\s+https://example\.com/hook\s+connection\.broken\s`).MatchString(list) {
		t.Errorf("webhooks list:\n%s", list)
	}
	if out := b.must(t, "", "webhooks", "test", "1"); !strings.Contains(out, "test event queued for webhook 1 as delivery 1") {
		t.Errorf("webhooks test: %q", out)
	}
	deliveries := b.must(t, "", "webhooks", "deliveries", "1")
	if !regexp.MustCompile(`(?m)^1\s+webhook\.test\s+pending\s+0\s+-\s`).MatchString(deliveries) {
		t.Errorf("webhooks deliveries:\n%s", deliveries)
	}
	if errOut := b.fails(t, "", "webhooks", "test", "7"); !strings.Contains(errOut, "webhook 7: not found") {
		t.Errorf("testing a missing webhook: %q", errOut)
	}
	if got := b.must(t, "", "audit", "--action", "webhook.test", "--actor", "cli", "--since", "1h"); !strings.Contains(got, "webhook.test") ||
		strings.Contains(got, "webhook.create") {
		t.Errorf("audit --action webhook.test:\n%s", got)
	}
	if got := b.must(t, "", "audit", "--action", "webhook.", "--until", "2000-01-01"); strings.Contains(got, "webhook.") {
		t.Errorf("audit --until 2000-01-01 lists later events:\n%s", got)
	}
	b.must(t, "", "webhooks", "delete", "1")
	if errOut := b.fails(t, "", "webhooks", "delete", "1"); !strings.Contains(errOut, "webhook 1: not found") {
		t.Errorf("deleting twice: %q", errOut)
	}
	audit := b.must(t, "", "audit", "--target-type", "webhook")
	if !strings.Contains(audit, "webhook.create") || !strings.Contains(audit, "webhook.delete") {
		t.Errorf("audit:\n%s", audit)
	}
}

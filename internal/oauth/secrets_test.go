package oauth_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
)

// TestSecretsAreNeverStoredOrLogged issues every kind of secret the OAuth
// server hands out (codes, access and refresh tokens, client secrets old
// and new, a private app token, a browser session), uses each one,
// including in URL paths and form bodies, then searches every byte the hub
// keeps (the SQLite files, or every row of every PostgreSQL table) and
// everything it logged, for each secret and for the parts of it that would
// let someone use it.
func TestSecretsAreNeverStoredOrLogged(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			ctx := context.Background()
			const email = "sam@example.com"
			b.env.User(t, email, identity.RoleMember, nil)
			var secrets []string
			keep := func(s ...string) { secrets = append(secrets, s...) }
			keep(b.secret)

			// A code, exchanged with its verifier; the browser's session.
			verifier := oauth2.GenerateVerifier()
			br := b.env.Browser()
			back := br.Consent(t, b.conf.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(verifier)), email)
			code := back.Query().Get("code")
			hubURL, _ := url.Parse(b.env.URL)
			for _, c := range br.Jar.Cookies(hubURL) {
				if c.Name == "hubsync_session" {
					keep(c.Value)
				}
			}
			if len(secrets) != 2 {
				t.Fatalf("no session cookie after sign-in")
			}
			first := mustTokens(t, b.exchange(t, code, verifier))
			keep(code, verifier, first.access, first.refresh)
			// The code used twice, so its reuse path runs too.
			b.exchange(t, code, verifier)

			// A second grant: refreshed, read back, introspected, deleted.
			second := b.connect(t, email)
			third := mustTokens(t, b.refresh(t, second.refresh))
			keep(second.access, second.refresh, third.access, third.refresh)
			b.env.Do(t, http.MethodGet, "/oauth/v1/access-tokens/"+third.access, "", nil)
			b.env.Do(t, http.MethodGet, "/oauth/v1/refresh-tokens/"+third.refresh, "", nil)
			post(t, b.env, "/oauth/v3/token/introspect", url.Values{"token": {third.access}}, []string{b.app.ClientID, b.secret})
			wantAPI(t, b.api(t, "contacts", third.access), http.StatusOK, "")
			// A failing call logs more than a passing one.
			b.env.Do(t, http.MethodGet, "/crm/v3/objects/nope", third.access, nil)
			b.env.Do(t, http.MethodDelete, "/oauth/v1/refresh-tokens/"+third.refresh, "", nil)

			// The client secret rotated: the old one refused, the new one used.
			_, rotated, err := b.env.Hub.Apps.RotateSecret(ctx, b.app.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			keep(rotated)
			code, verifier = b.code(t, email)
			wantTokenError(t, b.exchange(t, code, verifier), http.StatusUnauthorized, "invalid_client", "")
			b.secret = rotated
			fourth := mustTokens(t, b.exchange(t, code, verifier))
			keep(code, verifier, fourth.access, fourth.refresh)
			post(t, b.env, "/oauth/v3/token/revoke", url.Values{"token": {fourth.refresh}}, []string{b.app.ClientID, rotated})

			// A private app token, used.
			pat := b.env.Token(t, contactsRead)
			keep(pat)
			wantAPI(t, b.api(t, "contacts", pat), http.StatusOK, "")

			needles := secretParts(secrets)
			b.env.Server.Close() // every request has finished and been logged
			logs := b.env.Logs.String()
			if !strings.Contains(logs, "/oauth/v1/token") {
				t.Fatalf("the log does not show the token requests; is it the server's log?\n%s", logs)
			}
			for _, n := range needles {
				if strings.Contains(logs, n.text) {
					t.Errorf("the log holds %s", n.what)
				}
			}
			if backend == hubtest.Postgres {
				scanPostgresRows(t, b.env, needles)
			}
			if err := b.env.Hub.Close(); err != nil { // SQLite merges its WAL into the file
				t.Fatal(err)
			}
			scanFiles(t, b.env.Config.DataDir, needles, backend == hubtest.SQLite)
		})
	}
}

// needle is something that must not be found, and what it is part of.
type needle struct{ text, what string }

// secretParts are the secrets, each also without its kind prefix, and for
// fosite's tokens (prefix, key, ".", signature) the key alone: the
// signature is an HMAC of the key and is what the hub stores, but the key
// is what makes a token usable.
func secretParts(secrets []string) []needle {
	var out []needle
	for i, s := range secrets {
		what := "secret " + string(rune('A'+i)) + " (" + s[:min(10, len(s))] + "…)"
		out = append(out, needle{s, what})
		rest := s
		for _, p := range []string{"ory_at_", "ory_rt_", "ory_ac_", oauth.PrivateAppPrefix} {
			if r, ok := strings.CutPrefix(s, p); ok {
				rest = r
				out = append(out, needle{rest, what + " without its prefix"})
			}
		}
		if key, _, ok := strings.Cut(rest, "."); ok && strings.HasPrefix(s, "ory_") {
			out = append(out, needle{key, what + ", its key part"})
		}
	}
	return out
}

// scanFiles reads every file under dir; wantDB says the SQLite database
// must be among them.
func scanFiles(t *testing.T, dir string, needles []needle, wantDB bool) {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		names = append(names, filepath.Base(path))
		for _, n := range needles {
			if bytes.Contains(data, []byte(n.text)) {
				t.Errorf("%s holds %s", path, n.what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if wantDB && !strings.Contains(strings.Join(names, " "), ".db") {
		t.Fatalf("scanned %v: no database file among them", names)
	}
}

// dumpTables builds, for each table of the hub's schema, a query returning
// its row count and every row as text (bytea columns show as hex).
const dumpTables = `SELECT table_name,
	format('SELECT count(*), coalesce(string_agg(t::text, E''\n''), '''') FROM %I.%I t', table_schema, table_name)
	FROM information_schema.tables WHERE table_schema = current_schema()`

// scanPostgresRows reads every row of every table of the hub's schema and
// looks for each needle, as it is and hex-encoded.
func scanPostgresRows(t *testing.T, env *hubtest.Env, needles []needle) {
	t.Helper()
	db := env.DB(t)
	rows, err := db.Query(dumpTables)
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{}
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			t.Fatal(err)
		}
		queries[name] = q
	}
	rows.Close()
	for _, table := range []string{"oauth_tokens", "oauth_grants", "oauth_apps", "web_sessions", "private_apps"} {
		if queries[table] == "" {
			t.Errorf("schema has no table %s to scan", table)
		}
	}
	for table, q := range queries {
		var n int
		var dump string
		if err := db.QueryRow(q).Scan(&n, &dump); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if table == "oauth_tokens" && n < 8 {
			t.Errorf("oauth_tokens has only %d rows; the scan would prove little", n)
		}
		lower := strings.ToLower(dump)
		for _, nd := range needles {
			if strings.Contains(dump, nd.text) || strings.Contains(lower, hex.EncodeToString([]byte(nd.text))) {
				t.Errorf("table %s holds %s", table, nd.what)
			}
		}
	}
}

package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
)

// TestLargestSearchIsAnswered: the most filters a search takes, each with
// the most IN values, stay within every backend's limit on bound
// parameters and find what they should.
func TestLargestSearchIsAnswered(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		target := tb.create(t, "contacts", map[string]any{"email": "v99@example.com"})
		values := make([]string, 100)
		for i := range values {
			values[i] = fmt.Sprintf("v%d@example.com", i)
		}
		var groups []any
		for range 4 {
			var filters []any
			for range 25 {
				filters = append(filters, map[string]any{"propertyName": "email", "operator": "IN", "values": values})
			}
			groups = append(groups, map[string]any{"filters": filters})
		}
		r := tb.do(t, "POST", objects+"contacts/search", map[string]any{"filterGroups": groups})
		if r.Status != 200 {
			t.Fatalf("status %d; body: %s\nserver log: %s", r.Status, r.Body, tb.logFor(string(r.Body)))
		}
		if got := ids(decode[searchBody](t, r, 200).Results); !slices.Equal(got, []string{target.ID}) {
			t.Errorf("found %v, want [%s]", got, target.ID)
		}
	})
}

// TestIntegrationURLsAreHTTP: the hub calls an integration's URLs, so only
// absolute http and https URLs without credentials are taken, whether as
// base_url or as a single setting.
func TestIntegrationURLsAreHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		const admin = "ops@example.com"
		tb.env.User(t, admin, "admin", nil)
		manage := true
		if _, err := tb.env.Hub.Identity.UpdateUser(t.Context(), admin, identity.UserChanges{IntegrationsManage: &manage}); err != nil {
			t.Fatal(err)
		}
		create := func(name, baseURL string) (int, map[string]any) {
			return adminDo(t, tb.env, admin, "POST", "/api/v1/integrations",
				map[string]any{"name": name, "provider": "hubspot", "auth": "private_app", "base_url": baseURL})
		}
		for _, bad := range []string{"file:///etc/passwd", "gopher://hub.example.com", "javascript:alert(1)", "//hub.example.com",
			"https://", "hub.example.com", "https://user:pw-4711@hub.example.com"} {
			status, body := create("bad", bad)
			if status != 400 || body["subCategory"] != "INVALID_INPUT" || !strings.Contains(fmt.Sprint(body["message"]), "_url") {
				t.Errorf("base_url %q: %d %v", bad, status, body)
			}
			if strings.Contains(mustJSON(body), "pw-4711") {
				t.Errorf("base_url %q: the answer quotes the credentials: %v", bad, body)
			}
		}
		if status, body := create("good", "https://hub.example.com"); status != 201 {
			t.Fatalf("https base_url: %d %v", status, body)
		}
		status, body := adminDo(t, tb.env, admin, "PATCH", "/api/v1/integrations/good",
			map[string]any{"settings": map[string]string{"token_url": "file:///etc/shadow"}})
		if status != 400 || !strings.Contains(fmt.Sprint(body["message"]), "token_url") {
			t.Errorf("token_url file: %d %v", status, body)
		}
	})
}

// TestUpsertKeyInPropertiesMaySpellTheSameValue: the key repeated in the
// properties, in another case, is the same key (HubSpot's clients and the
// hub's own connector send it so).
func TestUpsertKeyInPropertiesMaySpellTheSameValue(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ada := tb.create(t, "contacts", map[string]any{"email": "ada@example.com"})
		r := tb.do(t, "POST", objects+"contacts/batch/upsert", map[string]any{"inputs": []any{
			map[string]any{"id": "ada@example.com", "idProperty": "email", "properties": map[string]any{"email": "Ada@Example.com", "firstname": "Ada"}},
			map[string]any{"id": "bob@example.com", "idProperty": "email", "properties": map[string]any{"email": "bob@example.com"}},
		}})
		got := decode[batchBody](t, r, 200).Results
		if len(got) != 2 || got[0].ID != ada.ID || got[0].prop("firstname") != "Ada" || got[1].prop("email") != "bob@example.com" {
			t.Errorf("upsert answer %+v", got)
		}
	})
}

// TestStalledBodyIsCutOff: a client that sends headers and then stalls its
// body gets a 408 once the body timeout passes and loses the connection,
// on the token endpoint (a form, read before any route runs) and on the
// CRM API (JSON, read by the route).
func TestStalledBodyIsCutOff(t *testing.T) {
	t.Parallel()
	env := hubtest.New(t, hubtest.SQLite, func(c *config.Config) { c.BodyTimeout = 200 * time.Millisecond })
	token := env.Token(t, hubtest.AllScopes...)
	for _, tc := range []struct{ name, head string }{
		{"token endpoint", "POST /oauth/v1/token HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"},
		{"CRM create", "POST /crm/v3/objects/contacts HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer " + token + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := hubtest.StallBody(t, env.Server.Listener.Addr().String(), tc.head)
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, "REQUEST_TIMEOUT") {
				t.Errorf("stalled body: %d %s", resp.StatusCode, body)
			}
			if !resp.Close {
				t.Errorf("the connection of a stalled body is kept open")
			}
		})
	}
}

// TestCrossOriginRefusalsAreShaped: a change sent by a page of another site
// is refused in the shape of the surface it was sent to: HubSpot's error
// JSON on the admin API, the hub's error page on browser forms.
func TestCrossOriginRefusalsAreShaped(t *testing.T) {
	t.Parallel()
	env := hubtest.New(t, hubtest.SQLite)
	post := func(path, contentType, body string, header http.Header) hubtest.Response {
		req, err := http.NewRequest("POST", env.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		req.Header.Set("Content-Type", contentType)
		req.SetBasicAuth("admin@example.com", "correct horse")
		return send(t, env, req)
	}
	for name, h := range map[string]http.Header{
		"Sec-Fetch-Site": {"Sec-Fetch-Site": {"cross-site"}},
		"Origin":         {"Origin": {"https://evil.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := post("/api/v1/apps", "application/json", `{"name":"x","redirect_uris":["https://evil.example/cb"],"scopes":["crm.objects.contacts.read"]}`, h.Clone())
			e := wantError(t, r, http.StatusForbidden, "INVALID_AUTHENTICATION", "CROSS_ORIGIN")
			wantMessage(t, e, "another site")
			for _, path := range []string{"/signin", "/oauth/authorize?client_id=x"} {
				r := post(path, "application/x-www-form-urlencoded", "email=admin%40example.com&password=x", h.Clone())
				if r.Status != http.StatusForbidden || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
					!strings.Contains(string(r.Body), "another site") {
					t.Errorf("POST %s: %d %s %s", path, r.Status, r.Header.Get("Content-Type"), r.Body)
				}
			}
		})
	}
	if apps, err := env.Hub.Apps.List(t.Context()); err != nil || len(apps) != 0 {
		t.Errorf("apps after refused creates: %v %v", apps, err)
	}
}

// TestEmailLookupsFoldUnicodeOnEveryBackend: an email spelled with a Kelvin
// sign (which lowercases to k) is the same contact everywhere a client names
// it, on both backends; it used to be found on PostgreSQL only, and its
// upsert on SQLite tried to create a duplicate and answered 409.
func TestEmailLookupsFoldUnicodeOnEveryBackend(t *testing.T) {
	const kelvin = "\u212Aate@Example.com"
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		kate := tb.create(t, "contacts", map[string]any{"email": "kate@example.com", "firstname": "Kate"})
		if got := tb.get(t, "contacts", url.PathEscape(kelvin), "?idProperty=email"); got.ID != kate.ID {
			t.Errorf("get by email: %s, want %s", got.ID, kate.ID)
		}
		for _, op := range []string{"EQ", "IN"} {
			res := tb.search(t, "contacts", map[string]any{"filterGroups": []any{filter("email", op, kelvin)}})
			if !slices.Equal(ids(res.Results), []string{kate.ID}) {
				t.Errorf("search email %s: %v, want [%s]", op, ids(res.Results), kate.ID)
			}
		}
		r := tb.do(t, "POST", objects+"contacts/batch/upsert", map[string]any{"inputs": []any{
			map[string]any{"id": kelvin, "idProperty": "email", "properties": map[string]any{"lastname": "Kelvin"}}}})
		if got := decode[batchBody](t, r, 200).Results; len(got) != 1 || got[0].ID != kate.ID || *got[0].New {
			t.Errorf("upsert by email: %+v, want an update of %s", got, kate.ID)
		}
		e := wantError(t, tb.do(t, "POST", objects+"contacts", map[string]any{"properties": map[string]any{"email": kelvin}}),
			409, "CONFLICT", "OBJECT_ALREADY_EXISTS")
		wantContext(t, e, "existingId", kate.ID)
	})
}

// TestFormBodiesAreBoundedHoweverEncoded: the forms that strangers may
// post (sign-in, consent, the token endpoint, introspection, revocation)
// are small, and a form sent as multipart/form-data is held to the same
// bound and the same NUL check as a URL-encoded one; Go's and fosite's
// parsers would otherwise read megabytes of it into memory, and spill
// more to disk, before any check.
func TestFormBodiesAreBoundedHoweverEncoded(t *testing.T) {
	t.Parallel()
	env := hubtest.New(t, hubtest.SQLite)
	post := func(path string, fields map[string]string, fileSize int) hubtest.Response {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range fields {
			mw.WriteField(k, v)
		}
		if fileSize > 0 {
			fw, _ := mw.CreateFormFile("upload", "big.bin")
			fw.Write(bytes.Repeat([]byte("x"), fileSize))
		}
		mw.Close()
		req, err := http.NewRequest(http.MethodPost, env.URL+path, &body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return send(t, env, req)
	}
	for _, path := range []string{"/signin", "/oauth/authorize?client_id=x", "/oauth/v1/token", "/oauth/v3/token/introspect", "/oauth/v3/token/revoke"} {
		if r := post(path, map[string]string{"grant_type": "refresh_token"}, 1<<20); r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a 1 MiB multipart form: %d %s, want 413", path, r.Status, r.Body)
		}
	}
	r := post("/oauth/v1/token", map[string]string{"grant_type": "refresh_token", "refresh_token": "a\x00b"}, 0)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "NUL_CHARACTER") || !strings.Contains(string(r.Body), "refresh_token") {
		t.Errorf("a NUL in a multipart form field: %d %s, want 400 naming the field", r.Status, r.Body)
	}
}

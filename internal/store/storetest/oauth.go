package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hubsync/hubsync/internal/store"
)

// txKinds are the two ways to read. A backend may read differently in each:
// a View may run prepared statements, an Update locks the rows it reads.
var txKinds = []struct {
	name string
	run  func(s store.Store, ctx context.Context, fn func(store.Tx) error) error
}{
	{"View", store.Store.View},
	{"Update", store.Store.Update},
}

// wantRead checks that fn reads want in a View and in an Update.
func wantRead[T any](t *testing.T, s store.Store, what string, want T, fn func(ctx context.Context, tx store.Tx) (T, error), extra ...cmp.Option) {
	t.Helper()
	for _, k := range txKinds {
		ctx := t.Context()
		var got T
		err := k.run(s, ctx, func(tx store.Tx) (err error) {
			got, err = fn(ctx, tx)
			return err
		})
		if err != nil {
			t.Errorf("%s in %s: %v", what, k.name, err)
			continue
		}
		if diff := cmp.Diff(want, got, opts, cmp.Options(extra)); diff != "" {
			t.Errorf("%s in %s (-want +got):\n%s", what, k.name, diff)
		}
	}
}

// wantReadErr checks that fn fails with target in a View and in an Update.
func wantReadErr(t *testing.T, s store.Store, what string, target error, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	for _, k := range txKinds {
		ctx := t.Context()
		if err := k.run(s, ctx, func(tx store.Tx) error { return fn(ctx, tx) }); !errors.Is(err, target) {
			t.Errorf("%s in %s: got error %v, want %v", what, k.name, err, target)
		}
	}
}

// storedOAuthApp is how an app reads back: times to the millisecond,
// refresh-token lifetimes to the second.
func storedOAuthApp(a store.App) store.App {
	a.CreatedAt, a.UpdatedAt, a.SecretRotatedAt = stored(a.CreatedAt), stored(a.UpdatedAt), stored(a.SecretRotatedAt)
	a.RefreshTokenIdleTTL = a.RefreshTokenIdleTTL.Truncate(time.Second)
	a.RefreshTokenAbsoluteTTL = a.RefreshTokenAbsoluteTTL.Truncate(time.Second)
	return a
}

func storedGrant(g store.Grant) store.Grant {
	g.CreatedAt, g.LastUsedAt, g.RevokedAt = stored(g.CreatedAt), stored(g.LastUsedAt), stored(g.RevokedAt)
	g.RefreshedAt = stored(g.RefreshedAt)
	return g
}

func storedToken(tok store.Token) store.Token {
	tok.ExpiresAt, tok.CreatedAt = stored(tok.ExpiresAt), stored(tok.CreatedAt)
	return tok
}

func createApps(t *testing.T, s store.Store, in ...store.App) []store.App {
	t.Helper()
	var out []store.App
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, a := range in {
			got, err := tx.CreateApp(ctx, a)
			if err != nil {
				return err
			}
			a.ID = got.ID
			if diff := cmp.Diff(storedOAuthApp(a), got, opts); diff != "" {
				t.Errorf("CreateApp does not return the stored value (-stored +returned):\n%s", diff)
			}
			out = append(out, storedOAuthApp(a))
		}
		return nil
	})
	return out
}

func createGrants(t *testing.T, s store.Store, in ...store.Grant) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, g := range in {
			if err := tx.CreateGrant(ctx, g); err != nil {
				return err
			}
		}
		return nil
	})
}

func createTokens(t *testing.T, s store.Store, in ...store.Token) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, tok := range in {
			if err := tx.CreateToken(ctx, tok); err != nil {
				return err
			}
		}
		return nil
	})
}

func testOAuthApps(t *testing.T, s store.Store) {
	confidential := store.App{
		ClientID: "0b5e9c1a-confidential",
		Name:     "Connector",
		// A keyed hash: arbitrary bytes, zeros included.
		SecretHash: hash("secret"),
		// Order matters to the user who typed them; not sorted.
		RedirectURIs:    []string{"https://z.example/cb", "https://a.example/cb?x=1&y=2", "http://127.0.0.1:8080/cb"},
		Scopes:          []string{"crm.objects.contacts.write", "crm.objects.contacts.read"},
		OptionalScopes:  []string{"crm.schemas.contacts.read"},
		CreatedBy:       7,
		CreatedAt:       when(0),
		UpdatedAt:       when(time.Hour),
		SecretRotatedAt: when(time.Hour),
		// Lifetimes keep whole seconds; the fraction is dropped.
		RefreshTokenIdleTTL: 30*24*time.Hour + 1500*time.Millisecond,
	}
	public := store.App{
		ClientID:                "public-cli",
		Name:                    "Command line",
		RedirectURIs:            []string{"http://127.0.0.1/callback"},
		Scopes:                  []string{"crm.objects.deals.read"},
		Public:                  true,
		CreatedAt:               when(time.Minute),
		UpdatedAt:               when(time.Minute),
		RefreshTokenRotation:    true,
		RefreshTokenAbsoluteTTL: 90 * 24 * time.Hour,
	}
	want := createApps(t, s, confidential, public)
	if want[0].ID <= 0 || want[1].ID <= want[0].ID {
		t.Fatalf("app ids %d, %d: want positive and increasing", want[0].ID, want[1].ID)
	}

	for _, w := range want {
		wantRead(t, s, "App", w, func(ctx context.Context, tx store.Tx) (store.App, error) { return tx.App(ctx, w.ID) })
		wantRead(t, s, "AppByClientID", w, func(ctx context.Context, tx store.Tx) (store.App, error) {
			return tx.AppByClientID(ctx, w.ClientID)
		})
	}
	wantRead(t, s, "Apps", want, func(ctx context.Context, tx store.Tx) ([]store.App, error) { return tx.Apps(ctx) })
	// The comparison above takes nil for empty; a public app has no secret
	// hash at all, and code may test for exactly that.
	wantRead(t, s, "public app's SecretHash == nil", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		a, err := tx.AppByClientID(ctx, public.ClientID)
		return a.SecretHash == nil, err
	})
	wantReadErr(t, s, "App(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.App(ctx, want[1].ID+1)
		return err
	})
	wantReadErr(t, s, "AppByClientID(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AppByClientID(ctx, "PUBLIC-CLI")
		return err
	})
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		dup := public
		dup.Name, dup.Public, dup.SecretHash = "Impostor", false, hash("other")
		_, err := tx.CreateApp(ctx, dup)
		return err
	})

	// Every mutable field changes; the confidential app becomes public.
	changed := want[0]
	changed.Name = "Connector v2"
	changed.SecretHash = nil
	changed.RedirectURIs = []string{"http://127.0.0.1:8080/cb", "https://z.example/cb"}
	changed.Scopes = []string{"crm.objects.companies.read"}
	changed.OptionalScopes = nil
	changed.Public = true
	changed.UpdatedAt, changed.SecretRotatedAt = when(48*time.Hour), when(47*time.Hour)
	changed.RefreshTokenRotation, changed.RefreshTokenIdleTTL, changed.RefreshTokenAbsoluteTTL = true, time.Hour, 2*time.Hour
	changed = storedOAuthApp(changed)
	// And the public app becomes confidential.
	secret := want[1]
	secret.SecretHash = append(hash("new secret"), 0, 0)
	secret.Public = false
	secret.RefreshTokenRotation, secret.RefreshTokenAbsoluteTTL = false, 0
	secret.OptionalScopes = []string{"b", "a"}
	secret.UpdatedAt, secret.SecretRotatedAt = when(49*time.Hour), when(49*time.Hour)
	secret = storedOAuthApp(secret)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateApp(ctx, changed); err != nil {
			return err
		}
		return tx.UpdateApp(ctx, secret)
	})
	wantRead(t, s, "Apps after UpdateApp", []store.App{changed, secret}, func(ctx context.Context, tx store.Tx) ([]store.App, error) {
		return tx.Apps(ctx)
	})
	wantRead(t, s, "SecretHash == nil after UpdateApp cleared it", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		a, err := tx.App(ctx, changed.ID)
		return a.SecretHash == nil, err
	})

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApp(ctx, changed.ID) })
	wantReadErr(t, s, "App after DeleteApp", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.App(ctx, changed.ID)
		return err
	})
	wantReadErr(t, s, "AppByClientID after DeleteApp", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AppByClientID(ctx, changed.ClientID)
		return err
	})
	wantRead(t, s, "Apps after DeleteApp", []store.App{secret}, func(ctx context.Context, tx store.Tx) ([]store.App, error) {
		return tx.Apps(ctx)
	})
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeleteApp(ctx, changed.ID) })
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, changed) })
	// The deleted app's client id is free again, under a new id.
	again := createApps(t, s, confidential)
	if again[0].ID == changed.ID {
		t.Errorf("a new app reused deleted app id %d", changed.ID)
	}
}

func testOAuthGrants(t *testing.T, s store.Store) {
	const alice, bob, connector, cli = 1, 2, 10, 20
	// Ids sort in neither creation nor insertion order, so only created_at
	// gives the expected order.
	grants := []store.Grant{
		{ID: "grant-c", AppID: connector, UserID: alice, Scopes: []string{"crm.objects.contacts.write", "crm.objects.contacts.read"}, CredentialsEpoch: 1, CreatedAt: when(0)},
		{ID: "grant-a", AppID: cli, UserID: alice, Scopes: []string{"crm.objects.deals.read"}, CredentialsEpoch: 1, CreatedAt: when(time.Hour)},
		{ID: "grant-d", AppID: connector, UserID: bob, Scopes: []string{"crm.objects.contacts.read"}, CredentialsEpoch: 3, CreatedAt: when(2 * time.Hour)},
		{
			ID: "grant-b", AppID: cli, UserID: bob, Scopes: []string{"crm.objects.deals.read"}, CredentialsEpoch: 2, CreatedAt: when(3 * time.Hour),
			LastUsedAt: when(4 * time.Hour), RevokedAt: when(5 * time.Hour), RevokeReason: "user changed password",
		},
		{ID: "grant-e", AppID: connector, UserID: alice, CredentialsEpoch: 1, CreatedAt: when(30 * time.Minute), RefreshedAt: when(time.Hour)},
	}
	createGrants(t, s, grants...)
	g := make([]store.Grant, len(grants))
	for i := range grants {
		g[i] = storedGrant(grants[i])
	}
	for _, w := range g {
		wantRead(t, s, "Grant("+w.ID+")", w, func(ctx context.Context, tx store.Tx) (store.Grant, error) { return tx.Grant(ctx, w.ID) })
	}
	wantReadErr(t, s, "Grant(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Grant(ctx, "GRANT-A")
		return err
	})
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		dup := grants[0]
		dup.UserID, dup.AppID, dup.CreatedAt = bob, cli, when(9*time.Hour)
		return tx.CreateGrant(ctx, dup)
	})

	for _, tc := range []struct {
		user, app int64
		want      []store.Grant
	}{
		{0, 0, []store.Grant{g[3], g[2], g[1], g[4], g[0]}},
		{alice, 0, []store.Grant{g[1], g[4], g[0]}},
		{0, connector, []store.Grant{g[2], g[4], g[0]}},
		{alice, connector, []store.Grant{g[4], g[0]}},
		{bob, cli, []store.Grant{g[3]}},
		{99, 0, nil},
		{0, 99, nil},
		// User and app ids are not interchangeable.
		{connector, 0, nil},
		{0, alice, nil},
	} {
		wantRead(t, s, "Grants", tc.want, func(ctx context.Context, tx store.Tx) ([]store.Grant, error) {
			return tx.Grants(ctx, tc.user, tc.app)
		})
	}

	// Update every mutable field of one grant, including clearing a
	// revocation; the others stay as they were.
	revoked := g[0]
	revoked.Scopes = []string{"crm.objects.contacts.read", "crm.objects.companies.read", "oauth"}
	revoked.CredentialsEpoch = 4
	revoked.LastUsedAt, revoked.RevokedAt, revoked.RevokeReason = when(6*time.Hour), when(7*time.Hour), "revoked by admin"
	revoked.RefreshedAt = when(6 * time.Hour)
	revoked = storedGrant(revoked)
	restored := g[3]
	restored.RevokedAt, restored.RevokeReason, restored.LastUsedAt = time.Time{}, "", when(8*time.Hour)
	restored = storedGrant(restored)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateGrant(ctx, revoked); err != nil {
			return err
		}
		return tx.UpdateGrant(ctx, restored)
	})
	wantRead(t, s, "Grants after UpdateGrant", []store.Grant{restored, g[2], g[1], g[4], revoked},
		func(ctx context.Context, tx store.Tx) ([]store.Grant, error) { return tx.Grants(ctx, 0, 0) })
	wantRead(t, s, "Grant after UpdateGrant", revoked, func(ctx context.Context, tx store.Tx) (store.Grant, error) {
		return tx.Grant(ctx, revoked.ID)
	})
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		missing := revoked
		missing.ID = "grant-z"
		return tx.UpdateGrant(ctx, missing)
	})
}

// request is a serialised authorization request, with what a lossy text
// column would change: non-ASCII, escapes, and whitespace at both ends. It
// is JSON, so valid UTF-8 without zero bytes; both backends keep requests in
// text columns, and PostgreSQL refuses anything else.
var request = []byte("  {\"id\":\"grant-a\",\"form\":{\"redirect_uri\":[\"https://a.example/cb?x=1&y=\u00fc\"]}," +
	"\"session\":\"\u65e5\u672c\\u0000\\\"\\t\",\"emoji\":\"\U0001F511\"}\r\n")

func testOAuthTokens(t *testing.T, s store.Store) {
	createGrants(t, s,
		store.Grant{ID: "grant-a", AppID: 1, UserID: 1, CreatedAt: when(0)},
		store.Grant{ID: "grant-b", AppID: 1, UserID: 2, CreatedAt: when(0)})
	tokens := []store.Token{
		{Kind: store.TokenCode, Signature: "sig-code", GrantID: "grant-a", Active: true, ExpiresAt: when(10 * time.Minute), Request: request, CreatedAt: when(0)},
		// fosite keys a code's PKCE record by the code's signature.
		{Kind: store.TokenPKCE, Signature: "sig-code", GrantID: "grant-a", Active: true, ExpiresAt: when(10 * time.Minute), Request: []byte(`{"pkce":1}`), CreatedAt: when(0)},
		{Kind: store.TokenAccess, Signature: "sig-access-a", GrantID: "grant-a", Active: true, ExpiresAt: when(time.Hour), Request: []byte(`{}`), CreatedAt: when(time.Second)},
		// A refresh token without an end: its zero ExpiresAt must stay zero.
		{Kind: store.TokenRefresh, Signature: "sig-refresh-a", GrantID: "grant-a", AccessSignature: "sig-access-a", Active: true, Request: request, CreatedAt: when(time.Second)},
		// Signatures are base64url: case tells them apart.
		{Kind: store.TokenAccess, Signature: "SIG-ACCESS-A", GrantID: "grant-b", Active: true, ExpiresAt: when(2 * time.Hour), CreatedAt: when(time.Minute)},
		{Kind: store.TokenRefresh, Signature: "sig-refresh-b", GrantID: "grant-b", AccessSignature: "SIG-ACCESS-A", Active: true, ExpiresAt: when(90 * 24 * time.Hour), CreatedAt: when(time.Minute)},
		{Kind: store.TokenCode, Signature: "sig-used", GrantID: "grant-b", Active: false, ExpiresAt: when(time.Minute), Request: request, CreatedAt: when(0)},
	}
	createTokens(t, s, tokens...)
	token := func(kind, sig string) func(ctx context.Context, tx store.Tx) (store.Token, error) {
		return func(ctx context.Context, tx store.Tx) (store.Token, error) { return tx.Token(ctx, kind, sig) }
	}
	for _, tok := range tokens {
		wantRead(t, s, "Token("+tok.Kind+", "+tok.Signature+")", storedToken(tok), token(tok.Kind, tok.Signature))
	}
	wantRead(t, s, "zero ExpiresAt", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		tok, err := tx.Token(ctx, store.TokenRefresh, "sig-refresh-a")
		return tok.ExpiresAt.IsZero(), err
	})
	for _, k := range [][2]string{{store.TokenRefresh, "sig-code"}, {store.TokenAccess, "sig-refresh-a"}, {store.TokenAccess, "sig-access-b"}} {
		wantReadErr(t, s, "Token("+k[0]+", "+k[1]+")", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Token(ctx, k[0], k[1])
			return err
		})
	}
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		dup := tokens[0]
		dup.GrantID, dup.Request = "grant-b", nil
		return tx.CreateToken(ctx, dup)
	})

	// DeactivateToken succeeds once, for that kind only.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeactivateToken(ctx, store.TokenCode, "sig-code")
	})
	used := storedToken(tokens[0])
	used.Active = false
	wantRead(t, s, "Token after DeactivateToken", used, token(store.TokenCode, "sig-code"))
	wantRead(t, s, "other kind after DeactivateToken", storedToken(tokens[1]), token(store.TokenPKCE, "sig-code"))
	for _, k := range [][2]string{{store.TokenCode, "sig-code"}, {store.TokenCode, "sig-used"}, {store.TokenCode, "sig-none"}} {
		wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeactivateToken(ctx, k[0], k[1]) })
	}

	// SetTokenExpiry moves one token's end, to a time or back to none.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SetTokenExpiry(ctx, store.TokenRefresh, "sig-refresh-a", when(30*24*time.Hour)); err != nil {
			return err
		}
		return tx.SetTokenExpiry(ctx, store.TokenRefresh, "sig-refresh-b", time.Time{})
	})
	ending, endless := storedToken(tokens[3]), storedToken(tokens[5])
	ending.ExpiresAt, endless.ExpiresAt = stored(when(30*24*time.Hour)), time.Time{}
	wantRead(t, s, "Token after SetTokenExpiry", ending, token(store.TokenRefresh, "sig-refresh-a"))
	wantRead(t, s, "Token after SetTokenExpiry to none", endless, token(store.TokenRefresh, "sig-refresh-b"))
	wantRead(t, s, "other kind after SetTokenExpiry", storedToken(tokens[2]), token(store.TokenAccess, "sig-access-a"))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		return tx.SetTokenExpiry(ctx, store.TokenAccess, "sig-refresh-a", when(0))
	})

	// DeleteToken removes that kind only, once.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteToken(ctx, store.TokenPKCE, "sig-code") })
	wantReadErr(t, s, "Token after DeleteToken", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Token(ctx, store.TokenPKCE, "sig-code")
		return err
	})
	wantRead(t, s, "other kind after DeleteToken", used, token(store.TokenCode, "sig-code"))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeleteToken(ctx, store.TokenPKCE, "sig-code") })
	// The signature is free again for that kind.
	createTokens(t, s, tokens[1])
	wantRead(t, s, "Token recreated after DeleteToken", storedToken(tokens[1]), token(store.TokenPKCE, "sig-code"))
}

func testDeactivateGrantTokens(t *testing.T, s store.Store) {
	createGrants(t, s,
		store.Grant{ID: "grant-a", AppID: 1, UserID: 1, CreatedAt: when(0)},
		store.Grant{ID: "grant-b", AppID: 1, UserID: 1, CreatedAt: when(0)})
	var tokens []store.Token
	for _, grant := range []string{"grant-a", "grant-b"} {
		for _, kind := range []string{store.TokenCode, store.TokenPKCE, store.TokenAccess, store.TokenRefresh} {
			tokens = append(tokens, store.Token{Kind: kind, Signature: "sig-" + grant, GrantID: grant, Active: true,
				ExpiresAt: when(time.Hour), Request: []byte(kind), CreatedAt: when(0)})
		}
	}
	createTokens(t, s, tokens...)
	// active returns which of tokens are active, by index.
	active := func(ctx context.Context, tx store.Tx) ([]bool, error) {
		out := make([]bool, len(tokens))
		for i, tok := range tokens {
			got, err := tx.Token(ctx, tok.Kind, tok.Signature)
			if err != nil {
				return nil, err
			}
			out[i] = got.Active
		}
		return out, nil
	}
	//                      grant-a: code   pkce   access refresh; grant-b: code pkce access refresh
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeactivateGrantTokens(ctx, "grant-a", store.TokenAccess, store.TokenRefresh)
	})
	wantRead(t, s, "active after DeactivateGrantTokens(grant-a, access, refresh)",
		[]bool{true, true, false, false, true, true, true, true}, active)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeactivateGrantTokens(ctx, "grant-a", store.TokenCode)
	})
	wantRead(t, s, "active after DeactivateGrantTokens(grant-a, code)",
		[]bool{false, true, false, false, true, true, true, true}, active)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeactivateGrantTokens(ctx, "grant-b") })
	wantRead(t, s, "active after DeactivateGrantTokens(grant-b)",
		[]bool{false, true, false, false, false, false, false, false}, active)
	// Nothing left to deactivate, or no such grant: not an error.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeactivateGrantTokens(ctx, "grant-b"); err != nil {
			return err
		}
		return tx.DeactivateGrantTokens(ctx, "grant-none")
	})
	wantRead(t, s, "active after no-op DeactivateGrantTokens",
		[]bool{false, true, false, false, false, false, false, false}, active)
}

func testTokenGrant(t *testing.T, s store.Store) {
	alice := newUser("alice@example.com")
	bob := newUser("bob@example.com")
	bob.Role, bob.Status, bob.IntegrationsManage, bob.CredentialsEpoch = "admin", "deactivated", true, 9
	bob.Permissions = map[string]string{"deals": "view"}
	var users []store.User
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, u := range []store.User{alice, bob} {
			got, err := tx.CreateUser(ctx, u)
			if err != nil {
				return err
			}
			users = append(users, got)
		}
		return nil
	})
	apps := createApps(t, s,
		store.App{ClientID: "public", Name: "Public", Public: true, CreatedBy: users[0].ID,
			CreatedAt: when(0), UpdatedAt: when(time.Hour), RefreshTokenRotation: true, RefreshTokenIdleTTL: time.Hour},
		store.App{ClientID: "confidential", Name: "Confidential", SecretHash: hash("s"), RedirectURIs: []string{"https://a.example/cb"},
			Scopes: []string{"crm.objects.contacts.read"}, CreatedAt: when(time.Minute), UpdatedAt: when(time.Minute), SecretRotatedAt: when(time.Minute),
			RefreshTokenAbsoluteTTL: 24 * time.Hour})
	// Bob (user 2) authorized the public app (app 1) and alice (user 1) the
	// other, so a join on the wrong id reads the wrong rows.
	grants := []store.Grant{
		{ID: "grant-bob", AppID: apps[0].ID, UserID: users[1].ID, Scopes: []string{"crm.objects.deals.read", "oauth"}, CredentialsEpoch: 8,
			CreatedAt: when(0), LastUsedAt: when(time.Hour), RevokedAt: when(2 * time.Hour), RevokeReason: "user deactivated",
			RefreshedAt: when(90 * time.Minute)},
		{ID: "grant-alice", AppID: apps[1].ID, UserID: users[0].ID, Scopes: []string{"crm.objects.contacts.read"}, CredentialsEpoch: 3, CreatedAt: when(time.Minute)},
	}
	createGrants(t, s, grants...)
	tokens := []store.Token{
		{Kind: store.TokenRefresh, Signature: "sig", GrantID: "grant-bob", AccessSignature: "sig-access", Active: true, Request: request, CreatedAt: when(time.Second)},
		{Kind: store.TokenAccess, Signature: "sig", GrantID: "grant-alice", Active: true, ExpiresAt: when(time.Hour), Request: request, CreatedAt: when(time.Minute)},
	}
	createTokens(t, s, tokens...)

	// What TokenGrant documents it leaves out.
	skipped := cmp.Options{
		cmpopts.IgnoreFields(store.Token{}, "Request"),
		cmpopts.IgnoreFields(store.User{}, "Name", "PasswordHash", "CreatedAt", "UpdatedAt"),
		cmpopts.IgnoreFields(store.App{}, "SecretHash", "RedirectURIs", "Scopes", "OptionalScopes"),
	}
	tokenGrant := func(kind, sig string) func(ctx context.Context, tx store.Tx) (store.TokenGrant, error) {
		return func(ctx context.Context, tx store.Tx) (store.TokenGrant, error) { return tx.TokenGrant(ctx, kind, sig) }
	}
	want := []store.TokenGrant{
		{Token: storedToken(tokens[0]), Grant: storedGrant(grants[0]), User: users[1], App: apps[0]},
		{Token: storedToken(tokens[1]), Grant: storedGrant(grants[1]), User: users[0], App: apps[1]},
	}
	for _, w := range want {
		wantRead(t, s, "TokenGrant("+w.Token.Kind+", sig)", w, tokenGrant(w.Token.Kind, w.Token.Signature), skipped)
	}
	wantRead(t, s, "TokenGrant zero ExpiresAt", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		tg, err := tx.TokenGrant(ctx, store.TokenRefresh, "sig")
		return tg.Token.ExpiresAt.IsZero(), err
	})

	// An inactive token still reads, with its grant: callers tell the user
	// why it stopped working.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeactivateToken(ctx, store.TokenRefresh, "sig")
	})
	want[0].Token.Active = false
	wantRead(t, s, "TokenGrant of an inactive token", want[0], tokenGrant(store.TokenRefresh, "sig"), skipped)

	for _, k := range [][2]string{{store.TokenCode, "sig"}, {store.TokenAccess, "SIG"}, {store.TokenAccess, "sig-access"}} {
		wantReadErr(t, s, "TokenGrant("+k[0]+", "+k[1]+")", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.TokenGrant(ctx, k[0], k[1])
			return err
		})
	}
}

func testWebSessions(t *testing.T, s store.Store) {
	one, two := hash("session one"), hash("session two")
	sessions := []store.WebSession{
		// Both hashes start with a zero byte, and the third is a prefix of
		// the first: a backend that stops at a zero or compares prefixes
		// confuses them.
		{IDHash: one, UserID: 1, CSRF: "csrf-1", CredentialsEpoch: 2, CreatedAt: when(0), ExpiresAt: when(12 * time.Hour)},
		{IDHash: two, UserID: 1, CSRF: "csrf-2", CredentialsEpoch: 3, CreatedAt: when(time.Hour), ExpiresAt: when(13 * time.Hour)},
		{IDHash: append([]byte{}, one[:16]...), UserID: 2, CSRF: "csrf-3", CreatedAt: when(2 * time.Hour), ExpiresAt: when(14 * time.Hour)},
		{IDHash: append(append([]byte{}, one...), 0, 0), UserID: 3, CSRF: "csrf-4", CreatedAt: when(3 * time.Hour), ExpiresAt: when(15 * time.Hour)},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, ws := range sessions {
			if err := tx.CreateWebSession(ctx, ws); err != nil {
				return err
			}
		}
		return nil
	})
	want := make([]store.WebSession, len(sessions))
	for i, ws := range sessions {
		ws.CreatedAt, ws.ExpiresAt = stored(ws.CreatedAt), stored(ws.ExpiresAt)
		want[i] = ws
	}
	session := func(idHash []byte) func(ctx context.Context, tx store.Tx) (store.WebSession, error) {
		return func(ctx context.Context, tx store.Tx) (store.WebSession, error) { return tx.WebSession(ctx, idHash) }
	}
	for _, w := range want {
		wantRead(t, s, "WebSession("+w.CSRF+")", w, session(w.IDHash))
	}
	wantReadErr(t, s, "WebSession(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.WebSession(ctx, hash("session three"))
		return err
	})
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		dup := sessions[1]
		dup.UserID, dup.CSRF = 9, "other"
		return tx.CreateWebSession(ctx, dup)
	})

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteWebSession(ctx, one) })
	wantReadErr(t, s, "WebSession after DeleteWebSession", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.WebSession(ctx, one)
		return err
	})
	for _, w := range want[1:] {
		wantRead(t, s, "WebSession("+w.CSRF+") after deleting another", w, session(w.IDHash))
	}
}

// testDeactivateTokenRace is the guard against a code or refresh token used
// twice: of several transactions deactivating one token at once, exactly one
// may succeed.
func testDeactivateTokenRace(t *testing.T, s store.Store) {
	const workers, rounds = 8, 5
	createGrants(t, s, store.Grant{ID: "grant", AppID: 1, UserID: 1, CreatedAt: when(0)})
	for round := range rounds {
		sig := string(rune('a' + round))
		createTokens(t, s, store.Token{Kind: store.TokenRefresh, Signature: sig, GrantID: "grant", Active: true,
			Request: request, CreatedAt: when(0)})
		wantOneWins(t, s, workers, fmt.Sprintf("round %d: DeactivateToken", round), func(ctx context.Context, tx store.Tx) error {
			return tx.DeactivateToken(ctx, store.TokenRefresh, sig)
		})
	}
}

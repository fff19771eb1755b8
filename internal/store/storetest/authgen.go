package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// testAuthGeneration: the auth generation moves with every change a token
// check reads, in the transaction that makes it, and stays for writes that
// change only when a token was last used or refreshed, so caches of
// checked tokens are not emptied a minute at a time.
func testAuthGeneration(t *testing.T, s store.Store) {
	ctx := context.Background()
	generation := func() int64 {
		t.Helper()
		g, err := s.AuthGeneration(ctx)
		if err != nil {
			t.Fatalf("AuthGeneration: %v", err)
		}
		return g
	}
	var app store.PrivateApp
	var user store.User
	update(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		if user, err = tx.CreateUser(ctx, newUser("gen@example.com")); err != nil {
			return err
		}
		app, err = tx.CreatePrivateApp(ctx, store.PrivateApp{Name: "gen", Scopes: []string{"crm.objects.contacts.read"},
			TokenHash: []byte("hash-1"), CreatedAt: when(0), UpdatedAt: when(0)})
		return err
	})
	createGrants(t, s, store.Grant{ID: "gen-grant", AppID: 1, UserID: user.ID, Scopes: []string{"crm.objects.contacts.read"},
		CredentialsEpoch: 3, CreatedAt: when(0)})
	createTokens(t, s,
		store.Token{Kind: store.TokenAccess, Signature: "gen-at", GrantID: "gen-grant", Active: true, ExpiresAt: when(time.Hour), Request: []byte("{}"), CreatedAt: when(0)},
		store.Token{Kind: store.TokenCode, Signature: "gen-code", GrantID: "gen-grant", Active: true, ExpiresAt: when(time.Hour), Request: []byte("{}"), CreatedAt: when(0)})

	steps := []struct {
		name  string
		moves bool
		write func(ctx context.Context, tx store.Tx) error
	}{
		{"private app used", false, func(ctx context.Context, tx store.Tx) error {
			app.LastUsedAt = when(time.Minute)
			return tx.UpdatePrivateApp(ctx, app)
		}},
		{"private app rescoped", true, func(ctx context.Context, tx store.Tx) error {
			app.Scopes = []string{"crm.objects.deals.read"}
			return tx.UpdatePrivateApp(ctx, app)
		}},
		{"private app rotated", true, func(ctx context.Context, tx store.Tx) error {
			app.PreviousTokenHash, app.PreviousExpiresAt, app.TokenHash = app.TokenHash, when(time.Hour), []byte("hash-2")
			return tx.UpdatePrivateApp(ctx, app)
		}},
		{"grant used", false, func(ctx context.Context, tx store.Tx) error {
			g, err := tx.Grant(ctx, "gen-grant")
			if err != nil {
				return err
			}
			g.LastUsedAt = when(time.Minute)
			return tx.UpdateGrant(ctx, g)
		}},
		{"grant refreshed", false, func(ctx context.Context, tx store.Tx) error {
			return tx.SetGrantRefreshed(ctx, "gen-grant", when(2*time.Minute))
		}},
		{"code used", false, func(ctx context.Context, tx store.Tx) error {
			return tx.DeactivateToken(ctx, store.TokenCode, "gen-code")
		}},
		{"access token retired", true, func(ctx context.Context, tx store.Tx) error {
			return tx.DeactivateToken(ctx, store.TokenAccess, "gen-at")
		}},
		{"user changed", true, func(ctx context.Context, tx store.Tx) error {
			user.Status = "deactivated"
			return tx.UpdateUser(ctx, user)
		}},
		{"grant revoked", true, func(ctx context.Context, tx store.Tx) error {
			g, err := tx.Grant(ctx, "gen-grant")
			if err != nil {
				return err
			}
			g.RevokedAt, g.RevokeReason = when(time.Hour), "test"
			return tx.UpdateGrant(ctx, g)
		}},
		{"private app deleted", true, func(ctx context.Context, tx store.Tx) error {
			return tx.DeletePrivateApp(ctx, app.ID)
		}},
	}
	for _, step := range steps {
		before := generation()
		update(t, s, step.write)
		if moved := generation() != before; moved != step.moves {
			t.Errorf("%s: the generation moved %v, want %v", step.name, moved, step.moves)
		}
	}

	// A change rolled back leaves it too.
	before := generation()
	errRollback := errors.New("roll back")
	err := s.Update(ctx, func(tx store.Tx) error {
		user.Status = "active"
		if err := tx.UpdateUser(ctx, user); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) || generation() != before {
		t.Errorf("a rolled-back change: %v, generation %d, want %d", err, generation(), before)
	}
}

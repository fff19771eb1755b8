package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// TestExpiredAccessTokenSaysRefresh: an access token past its lifetime is
// refused as expired (not as unknown), so clients know to refresh, and the
// refresh then works. The expiry is moved into the past through the store.
func TestExpiredAccessTokenSaysRefresh(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			b.env.User(t, "exp@example.com", identity.RoleMember, nil)
			tk := b.connect(t, "exp@example.com")
			ctx := context.Background()
			sig := tk.access[strings.LastIndex(tk.access, ".")+1:]
			err := b.env.Hub.Store.Update(ctx, func(tx store.Tx) error {
				tok, err := tx.Token(ctx, store.TokenAccess, sig)
				if err != nil {
					return err
				}
				tok.ExpiresAt = time.Now().Add(-time.Second)
				if err := tx.DeleteToken(ctx, store.TokenAccess, sig); err != nil {
					return err
				}
				return tx.CreateToken(ctx, tok)
			})
			if err != nil {
				t.Fatal(err)
			}
			wantAPI(t, b.api(t, "contacts", tk.access), http.StatusUnauthorized, "EXPIRED_AUTHENTICATION", "refresh")
			fresh := mustTokens(t, b.refresh(t, tk.refresh))
			wantAPI(t, b.api(t, "contacts", fresh.access), http.StatusOK, "")
		})
	}
}

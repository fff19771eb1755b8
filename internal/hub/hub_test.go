package hub_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// TestWrongKeyIsRefused opens a hub's database with another token key: the
// hub must refuse to start rather than reject every token.
func TestWrongKeyIsRefused(t *testing.T) {
	cfg := hubtest.Config(t, hubtest.SQLite)
	h, err := hub.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	cfg.TokenKeyFile = filepath.Join(t.TempDir(), "other.key")
	_, err = hub.Open(context.Background(), cfg)
	if !errors.Is(err, store.ErrKeyMismatch) {
		t.Fatalf("opening with another key: %v, want ErrKeyMismatch", err)
	}
}

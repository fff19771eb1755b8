package identity_test

import (
	"runtime/debug"
	"testing"

	"github.com/hubsync/hubsync/internal/identity"
)

// The hub's memory limit is kept low for syncs; sign-ins must still not be
// checked one at a time because of it, nor more than half a high limit.
func TestHashGateSlotsUnderMemoryLimits(t *testing.T) {
	for _, c := range []struct {
		limit int64
		slots int
	}{
		{48 << 20, 4},
		{512 << 20, 4},
		{2 << 30, 16},
	} {
		old := debug.SetMemoryLimit(c.limit)
		got := identity.DefaultHashGate().Slots(identity.DefaultArgon2)
		debug.SetMemoryLimit(old)
		if got != c.slots {
			t.Errorf("memory limit %d MiB: %d default hashes at once, want %d", c.limit>>20, got, c.slots)
		}
	}
}

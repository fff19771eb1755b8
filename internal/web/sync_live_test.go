package web

import (
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// The live part of the sync settings stops asking once nothing more can
// come: a paused or held connection gets no run, however long it waits.
func TestSyncLiveWaiting(t *testing.T) {
	now := time.Now()
	done := store.SyncRun{ID: 8, Status: syncer.RunSucceeded, StartedAt: now.Add(-time.Second), FinishedAt: now}
	for _, tc := range []struct {
		name string
		l    syncLive
		want bool
	}{
		{"no save asked for a run", syncLive{Conn: store.Connection{Status: connection.StatusActive}}, false},
		{"the run asked for is to come", syncLive{Conn: store.Connection{Status: connection.StatusActive}, Watch: true, After: 7}, true},
		{"a connection without runs waits for its first", syncLive{Conn: store.Connection{Status: connection.StatusActive}, Watch: true}, true},
		{"the run asked for ended", syncLive{Conn: store.Connection{Status: connection.StatusActive, LastRunAt: now}, Run: done, Watch: true, After: 7}, false},
		{"paused: no run comes", syncLive{Conn: store.Connection{Status: connection.StatusPaused}, Watch: true, After: 7}, false},
		{"needs reconnect: no run comes", syncLive{Conn: store.Connection{Status: connection.StatusNeedsReconnect}, Watch: true}, false},
		{"deleted: no run comes", syncLive{Conn: store.Connection{Status: connection.StatusDisconnected}, Watch: true}, false},
		{"a run under way", syncLive{Conn: store.Connection{Status: connection.StatusPaused}, Run: store.SyncRun{ID: 9, Status: syncer.RunRunning}}, true},
	} {
		if got := tc.l.Waiting(); got != tc.want {
			t.Errorf("%s: Waiting() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

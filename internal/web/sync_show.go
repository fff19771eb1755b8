package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/store"
)

// syncsPage is a connection's object syncs.
type syncsPage struct {
	Conn  store.Connection
	Syncs []store.ObjectSync
	// Unsynced are the connection's objects no sync pairs yet.
	Unsynced []string
	Live     syncLive
	// Problem is why a change was refused.
	Problem string
}

// syncShow lists a connection's object syncs with their settings.
func (c *Console) syncShow(v *visit) error {
	conn, err := c.syncPathConnection(v)
	if err != nil {
		return err
	}
	return c.syncShowWith(v, conn, http.StatusOK, "")
}

// syncShowWith shows the sync settings, with why a change was refused.
func (c *Console) syncShowWith(v *visit, conn store.Connection, status int, problem string) error {
	syncs, err := c.Syncer.ObjectSyncs(v.r.Context(), conn.ID)
	if err != nil {
		return err
	}
	live, err := c.syncLiveOf(v, conn)
	if err != nil {
		return err
	}
	return c.show(v, status, "sync", "Sync settings · "+conn.Name, "connections",
		syncsPage{Conn: conn, Syncs: syncs, Unsynced: unsynced(conn, syncs), Live: live, Problem: problem})
}

func unsynced(conn store.Connection, syncs []store.ObjectSync) []string {
	var out []string
	for _, o := range conn.Objects {
		taken := false
		for _, s := range syncs {
			taken = taken || s.HubObject == o
		}
		if !taken {
			out = append(out, o)
		}
	}
	return out
}

package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/store"
)

// syncRemovePage confirms the removal of an object sync.
type syncRemovePage struct {
	Conn store.Connection
	Sync store.ObjectSync
	// Pairs are the record pairs the sync keeps, which removing forgets.
	Pairs int
}

// syncRemoveConfirm says what removing an object sync does and asks.
func (c *Console) syncRemoveConfirm(v *visit) error {
	conn, os, err := c.syncOfPath(v)
	if err != nil {
		return err
	}
	pairs, err := c.Syncer.PairCount(v.r.Context(), conn.ID, os.ID)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "sync_remove", "Remove the "+os.HubObject+" sync · "+conn.Name, "connections",
		syncRemovePage{Conn: conn, Sync: os, Pairs: pairs})
}

// syncRemove deletes an object sync with its links, cursors and record
// errors; records stay on both sides.
func (c *Console) syncRemove(v *visit) error {
	conn, os, err := c.syncOfPath(v)
	if err != nil {
		return err
	}
	if err := c.Syncer.RemoveObjectSync(v.r.Context(), v.actor(), conn.ID, os.ID); err != nil {
		return err
	}
	return c.syncSaved(v, conn, "The "+os.HubObject+" sync was removed with its links; records stay on both sides")
}

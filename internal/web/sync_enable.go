package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/syncer"
)

// syncEnable syncs a disabled object sync again, from where it stopped.
func (c *Console) syncEnable(v *visit) error { return c.syncSetEnabled(v, true) }

// syncDisable stops an object sync; it keeps its links and its place.
func (c *Console) syncDisable(v *visit) error { return c.syncSetEnabled(v, false) }

func (c *Console) syncSetEnabled(v *visit, enabled bool) error {
	conn, os, err := c.syncOfPath(v)
	if err != nil {
		return err
	}
	if _, err := c.Syncer.UpdateObjectSync(v.r.Context(), v.actor(), conn.ID, os.ID, syncer.ObjectSyncChange{Enabled: &enabled}); err != nil {
		// Enabling checks every field again: say which one is wrong.
		msg, ok := syncProblem(err)
		if !ok {
			return err
		}
		return c.syncShowWith(v, conn, http.StatusUnprocessableEntity, msg)
	}
	done := "The " + os.HubObject + " sync is disabled; it keeps its links and delivers what changed meanwhile when enabled"
	if enabled {
		done = "The " + os.HubObject + " sync is enabled; the next run picks up where it stopped"
	}
	return c.syncSaved(v, conn, done)
}

package web

import (
	"net/http"
	"slices"

	"github.com/hubsync/hubsync/internal/store"
)

// syncNew shows the form of a new object sync: first the object, then its
// settings, prefilled with the engine's defaults for that object.
func (c *Console) syncNew(v *visit) error {
	conn, err := c.syncPathConnection(v)
	if err != nil {
		return err
	}
	syncs, err := c.Syncer.ObjectSyncs(v.r.Context(), conn.ID)
	if err != nil {
		return err
	}
	var f syncForm
	objects := unsynced(conn, syncs)
	if o := v.r.URL.Query().Get("object"); slices.Contains(objects, o) {
		f = newSyncForm(o)
	}
	p := c.syncFormPage(v.r.Context(), conn, store.ObjectSync{}, f)
	p.Objects = objects
	return c.show(v, http.StatusOK, "sync_form", "Add an object sync · "+conn.Name, "connections", p)
}

package web

import (
	"github.com/hubsync/hubsync/internal/store"
)

// syncCreate previews or adds an object sync: "Preview" counts what the
// first run would do and shows the form again; "Save" adds it.
func (c *Console) syncCreate(v *visit) error {
	conn, err := c.syncPathConnection(v)
	if err != nil {
		return err
	}
	ctx := v.r.Context()
	f := parseSyncForm(v.r)
	p := c.syncFormPage(ctx, conn, store.ObjectSync{}, f)
	syncs, err := c.Syncer.ObjectSyncs(ctx, conn.ID)
	if err != nil {
		return err
	}
	p.Objects = unsynced(conn, syncs)
	if v.r.PostFormValue("action") == "preview" {
		preview, err := c.Syncer.PreviewAdd(ctx, v.actor(), conn.ID, f.input())
		return c.syncFormResult(v, p, &preview, err, "Add an object sync · ")
	}
	if _, err := c.Syncer.AddObjectSync(ctx, v.actor(), conn.ID, f.input()); err != nil {
		return c.syncFormResult(v, p, nil, err, "Add an object sync · ")
	}
	return c.syncSaved(v, conn, "Object sync of "+f.HubObject+" added")
}

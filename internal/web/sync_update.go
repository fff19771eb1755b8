package web

// syncUpdate previews or saves a change of an object sync: "Preview"
// counts what the run after the change would do and shows the form again;
// "Save" (or "Save and sync") changes it.
func (c *Console) syncUpdate(v *visit) error {
	conn, os, err := c.syncOfPath(v)
	if err != nil {
		return err
	}
	ctx := v.r.Context()
	f := parseSyncForm(v.r)
	f.HubObject, f.ExternalObject = os.HubObject, os.ExternalObject // they cannot change
	p := c.syncFormPage(ctx, conn, os, f)
	title := "Edit the " + os.HubObject + " sync · "
	if v.r.PostFormValue("action") == "preview" {
		preview, err := c.Syncer.PreviewUpdate(ctx, v.actor(), conn.ID, os.ID, f.change())
		return c.syncFormResult(v, p, &preview, err, title)
	}
	if _, err := c.Syncer.UpdateObjectSync(ctx, v.actor(), conn.ID, os.ID, f.change()); err != nil {
		return c.syncFormResult(v, p, nil, err, title)
	}
	return c.syncSaved(v, conn, "The "+os.HubObject+" sync was saved; it takes effect on the next run")
}

package web

// connectionPause stops a connection's syncs until it is resumed.
func (c *Console) connectionPause(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	if _, err := c.Connections.Pause(v.r.Context(), v.actor(), id); err != nil {
		return err
	}
	return v.redirect(connectionURL(id, "", "Paused: the connection does not sync until it is resumed."))
}

// connectionResume lets a paused connection sync again.
func (c *Console) connectionResume(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	conn, err := c.Connections.Resume(v.r.Context(), v.actor(), id)
	if err != nil {
		return err
	}
	return v.redirect(connectionURL(id, "", "Resumed: the connection is "+conn.Status+"."))
}

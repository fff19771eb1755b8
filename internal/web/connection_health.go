package web

import (
	"net/http"
	"strconv"
)

// connectionHealth shows how each object sync is doing and the failing
// records, grouped by kind of error.
func (c *Console) connectionHealth(v *visit) error {
	p, err := c.connectionFor(v, "health")
	if err != nil {
		return err
	}
	if p.Health, err = c.Syncer.Health(v.r.Context(), p.Connection.ID); err != nil {
		return err
	}
	return c.showConnection(v, http.StatusOK, p)
}

// connectionErrorsRetry retries one group of failing records: those of
// one kind of error.
func (c *Console) connectionErrorsRetry(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	reason := v.r.PostFormValue("reason")
	retried, resolved, err := c.Syncer.RetryGroup(v.r.Context(), v.actor(), id, reason)
	if err != nil {
		return err
	}
	notice := "Retried " + plural(retried, "record") + " (" + reason + "): " + strconv.Itoa(resolved) + " went through, " +
		strconv.Itoa(retried-resolved) + " still failing."
	return v.redirect(connectionURL(id, "health", notice))
}

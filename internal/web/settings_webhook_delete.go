package web

import (
	"net/url"
	"strconv"
)

// settingsWebhookDelete deletes a webhook: nothing more is sent to it.
func (c *Console) settingsWebhookDelete(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	if err := c.Webhooks.Delete(v.r.Context(), v.actor(), id); err != nil {
		return err
	}
	return v.redirect("/settings?notice=" + url.QueryEscape("Webhook "+strconv.FormatInt(id, 10)+" deleted; nothing more is sent to it.") + "#webhooks")
}

package web

import (
	"net/url"
	"strconv"
)

// settingsWebhookSendTest queues a test event; the page then shows its
// delivery and, once the receiver answers, the answer.
func (c *Console) settingsWebhookSendTest(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	if _, err := c.Webhooks.SendTest(v.r.Context(), v.actor(), id); err != nil {
		return err
	}
	n := strconv.FormatInt(id, 10)
	return v.redirect("/settings?notice=" + url.QueryEscape("A test event is on its way to webhook "+n+".") + "#webhook-" + n)
}

package web

import "net/http"

// settingsWebhookRemove asks to confirm deleting a webhook.
func (c *Console) settingsWebhookRemove(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	hook, err := c.webhook(v.r.Context(), id)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "settings_webhook_delete", "Delete webhook", "settings", webhookRow{Webhook: hook})
}

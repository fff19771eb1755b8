package web

// settingsDeliveriesPart is a webhook's recent deliveries, which the page
// refreshes while one is on its way.
func (c *Console) settingsDeliveriesPart(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	hook, err := c.webhook(v.r.Context(), id)
	if err != nil {
		return err
	}
	row := webhookRow{Webhook: hook}
	if row.Deliveries, err = c.Webhooks.Deliveries(v.r.Context(), id, recentDeliveries); err != nil {
		return err
	}
	return c.part(v, "settings", "deliveries-part", row)
}

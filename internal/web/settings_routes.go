package web

// settingsRoutes registers the hub's settings: its policy, its webhooks
// (create, delete, send a test event, recent deliveries) and its URL.
func (c *Console) settingsRoutes(r *router) {
	r.get("GET /settings", managesIntegrations, c.settingsShow)
	r.post("POST /settings/policies/{name}", managesIntegrations, c.settingsPolicyUpdate)
	r.post("POST /settings/webhooks", managesIntegrations, c.settingsWebhookCreate)
	r.get("GET /settings/webhooks/{id}/deliveries", managesIntegrations, c.settingsDeliveriesPart)
	r.post("POST /settings/webhooks/{id}/send-test", managesIntegrations, c.settingsWebhookSendTest)
	r.get("GET /settings/webhooks/{id}/delete", managesIntegrations, c.settingsWebhookRemove)
	r.post("POST /settings/webhooks/{id}/delete", managesIntegrations, c.settingsWebhookDelete)
}

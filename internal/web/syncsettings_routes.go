package web

// syncSettingsRoutes registers this area's pages. Each page has a file named noun then
// verb (connection_show.go, connection_pause.go) holding its handler.
func (c *Console) syncSettingsRoutes(r *router) {
	r.get("GET /connections/{id}/sync", viewsIntegrations, c.syncShow)
	r.get("GET /connections/{id}/sync/live", viewsIntegrations, c.syncLivePart)
	r.get("GET /connections/{id}/sync/new", managesIntegrations, c.syncNew)
	r.post("POST /connections/{id}/sync/new", managesIntegrations, c.syncCreate)
	r.get("GET /connections/{id}/sync/{sync}/edit", managesIntegrations, c.syncEdit)
	r.post("POST /connections/{id}/sync/{sync}/edit", managesIntegrations, c.syncUpdate)
	r.post("POST /connections/{id}/sync/{sync}/enable", managesIntegrations, c.syncEnable)
	r.post("POST /connections/{id}/sync/{sync}/disable", managesIntegrations, c.syncDisable)
	r.get("GET /connections/{id}/sync/{sync}/remove", managesIntegrations, c.syncRemoveConfirm)
	r.post("POST /connections/{id}/sync/{sync}/remove", managesIntegrations, c.syncRemove)
}

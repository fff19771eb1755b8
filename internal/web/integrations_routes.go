package web

// integrationRoutes registers this area's pages. Each page has a file named
// noun then verb (connection_show.go, connection_pause.go) holding its
// handler.
func (c *Console) integrationRoutes(r *router) {
	r.get("GET /integrations", viewsIntegrations, c.integrationList)
	r.get("GET /integrations/new", managesIntegrations, c.integrationNew)
	r.post("POST /integrations", managesIntegrations, c.integrationCreate)
	r.get("GET /integrations/{id}", viewsIntegrations, c.integrationEdit)
	r.post("POST /integrations/{id}", managesIntegrations, c.integrationUpdate)
	r.get("GET /integrations/{id}/delete", managesIntegrations, c.integrationDeleteForm)
	r.post("POST /integrations/{id}/delete", managesIntegrations, c.integrationDelete)
}

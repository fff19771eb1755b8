package web

// appRoutes registers this area's pages. Each page has a file named noun
// then verb (connection_show.go, connection_pause.go) holding its handler.
func (c *Console) appRoutes(r *router) {
	r.get("GET /apps", signedIn, c.appList)
	r.post("POST /grants/{grant}/revoke", managesIntegrations, c.grantRevoke)
	r.post("POST /private-apps", managesIntegrations, c.privateAppCreate)
	r.post("POST /private-apps/{id}/rotate", managesIntegrations, c.privateAppRotate)
	r.get("GET /private-apps/{id}/delete", managesIntegrations, c.privateAppDeleteForm)
	r.post("POST /private-apps/{id}/delete", managesIntegrations, c.privateAppDelete)
}

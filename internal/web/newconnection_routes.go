package web

// newConnectionRoutes registers this area's pages. Each page has a file named noun then
// verb (connection_show.go, connection_pause.go) holding its handler.
//
// The new-connection wizard: GET /connections/new shows step 1 (the
// integration, name, mode and objects) and, with step=2, step 2 (the
// connector user, or the credential); POST creates the connection and sends
// the browser to the external app's consent page (OAuth) or straight to
// step 4, the first object sync (/connections/{id}/sync/new), whose "Save
// and sync" asks for the first run.
func (c *Console) newConnectionRoutes(r *router) {
	r.get("GET /connections/new", managesIntegrations, c.connectionNew)
	r.post("POST /connections/new", managesIntegrations, c.connectionCreate)
}

package web

// connectionListRoutes registers the list of connections. Each page has a
// file named noun then verb (connection_list.go) holding its handler.
func (c *Console) connectionListRoutes(r *router) {
	r.get("GET /connections", signedIn, c.connectionList)
}

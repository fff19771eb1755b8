package web

// auditRoutes registers this area's pages. Each page has a file named noun then
// verb (connection_show.go, connection_pause.go) holding its handler.
func (c *Console) auditRoutes(r *router) {
}

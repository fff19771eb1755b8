package web

// auditRoutes registers the audit log: the page, with its filters and
// pages, and the same selection as CSV.
func (c *Console) auditRoutes(r *router) {
	r.get("GET /audit", viewsIntegrations, c.auditList)
	r.get("GET /audit.csv", viewsIntegrations, c.auditExport)
}

package web

// reviewRoutes registers the access review. Each page has a file named noun
// then verb (review_show.go, review_mark.go) holding its handler.
func (c *Console) reviewRoutes(r *router) {
	r.get("GET /review", viewsIntegrations, c.reviewShow)
	r.post("POST /review/{id}/reviewed", managesIntegrations, c.reviewMark)
	r.post("POST /review/interval", managesIntegrations, c.reviewIntervalUpdate)
}

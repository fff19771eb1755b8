package web

// homeRoutes registers the home page and its live part. Each page has a
// file named noun then verb (home_show.go) holding its handler.
func (c *Console) homeRoutes(r *router) {
	r.get("GET /home", signedIn, c.homeShow)
	r.get("GET /home/attention", signedIn, c.homeAttention)
}

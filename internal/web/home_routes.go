package web

import "net/http"

// homeRoutes registers this area's pages. Each page has a file named noun
// then verb (connection_show.go, connection_pause.go) holding its handler.
func (c *Console) homeRoutes(r *router) {
	r.get("GET /home", signedIn, c.homeShow)
}

func (c *Console) homeShow(v *visit) error {
	return c.show(v, http.StatusOK, "home", "Home", "home", nil)
}

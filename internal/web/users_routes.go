package web

// userRoutes registers this area's pages. Each page has a file named noun then
// verb (connection_show.go, connection_pause.go) holding its handler.
func (c *Console) userRoutes(r *router) {
	r.get("GET /users", viewsIntegrations, c.userList)
	r.post("POST /users", managesUsers, c.userCreate)
	r.get("GET /users/{id}", viewsIntegrations, c.userShow)
	r.get("GET /users/{id}/edit", managesUsers, c.userEdit)
	r.post("POST /users/{id}/preview", managesUsers, c.userPreview)
	r.post("POST /users/{id}", managesUsers, c.userUpdate)
	r.get("GET /users/{id}/remove", managesUsers, c.userOffboardForm(offboardRemove))
	r.post("POST /users/{id}/remove", managesUsers, c.userOffboard(offboardRemove))
	r.get("GET /users/{id}/deactivate", managesUsers, c.userOffboardForm(offboardDeactivate))
	r.post("POST /users/{id}/deactivate", managesUsers, c.userOffboard(offboardDeactivate))
	r.post("POST /users/{id}/reactivate", managesUsers, c.userReactivate)
}

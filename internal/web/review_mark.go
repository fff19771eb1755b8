package web

import (
	"fmt"
)

// reviewMark records that the signed-in person reviewed a connection.
func (c *Console) reviewMark(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	r, err := c.Connections.MarkReviewed(v.r.Context(), v.actor(), id, v.r.PostFormValue("note"))
	if err != nil {
		return err
	}
	return v.redirect(fmt.Sprintf("/review?notice=%s#review-%d",
		queryEscape(fmt.Sprintf("Connection %d marked reviewed by %s at %s.", id, r.Reviewer, when(r.ReviewedAt))), id))
}

package web

import (
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/connection"
)

// userPreviewPage is what a change of permissions would do, with the form
// that saves it.
type userPreviewPage struct {
	Preview connection.UserChangePreview
	Before  userRow
	After   userRow
	Form    userForm
}

// userPreview works out, without saving, which connections the change in
// the form would degrade (the domain's verdict, as the API's dry run).
func (c *Console) userPreview(v *visit) error {
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	f := readUserForm(v.r)
	p, err := c.Connections.PreviewUserChange(v.r.Context(), strconv.FormatInt(id, 10), f.changes())
	if err != nil {
		return err
	}
	if err := v.mayUpdate(p.User, p.Updated); err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "user_preview", "Change "+p.User.Email, "users",
		userPreviewPage{Preview: p, Before: newUserRow(p.User), After: newUserRow(p.Updated), Form: f})
}

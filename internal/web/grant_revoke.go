package web

import "net/url"

// grantRevoke ends a grant and every token issued from it, as the API's
// revoke does.
func (c *Console) grantRevoke(v *visit) error {
	if err := c.Grants.Revoke(v.r.Context(), v.r.PathValue("grant"), "revoked by "+v.user.Email); err != nil {
		return err
	}
	return v.redirect("/apps?notice=" + url.QueryEscape("Revoked the grant; the app's tokens from it no longer work."))
}

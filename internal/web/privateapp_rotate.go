package web

import "net/http"

// privateAppRotate issues a new token and shows it this once; the old one
// works for the chosen grace period.
func (c *Console) privateAppRotate(v *visit) error {
	ctx := v.r.Context()
	id, err := v.pathID("id")
	if err != nil {
		return err
	}
	d, err := rotationGraceOf(v.r.PostFormValue("grace"))
	if err != nil {
		return err
	}
	app, token, err := c.PrivateApps.Rotate(ctx, id, d)
	if err != nil {
		return err
	}
	p, err := c.appsPage(ctx, v)
	if err != nil {
		return err
	}
	p.Token = &shownToken{App: app, Token: token, Rotated: true}
	return c.showApps(v, http.StatusOK, p)
}

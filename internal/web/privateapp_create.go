package web

import (
	"net/http"
	"strings"
)

// privateAppCreate makes a private app and shows its token on the page it
// answers with: the one time it is ever shown (a redirect would have to
// carry it in a URL).
func (c *Console) privateAppCreate(v *visit) error {
	ctx := v.r.Context()
	_ = v.r.ParseForm()
	f := privateAppForm{Name: strings.TrimSpace(v.r.PostFormValue("name")), Scopes: v.r.PostForm["scope"]}
	app, token, err := c.PrivateApps.Create(ctx, f.Name, f.Scopes, v.user.ID)
	if err != nil && !appFormError(err) {
		return err
	}
	p, perr := c.appsPage(ctx, v)
	if perr != nil {
		return perr
	}
	if err != nil {
		p.Form, p.Error = f, asSentence(err)
		return c.showApps(v, http.StatusBadRequest, p)
	}
	p.Token = &shownToken{App: app, Token: token}
	return c.showApps(v, http.StatusOK, p)
}

package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/hubsync/hubsync/internal/connection"
)

// connectionCreate makes the connection of the wizard's choices. Before
// connecting as a connector user the advice warns about, it shows the
// advice and asks again. An OAuth connection then goes to the external
// app's consent page, whose callback completes it; one with a key or a
// database URL is verified and made at once. Either way the next step is
// the first object sync.
func (c *Console) connectionCreate(v *visit) error {
	if err := v.r.ParseForm(); err != nil {
		return err
	}
	ctx := v.r.Context()
	f := readNewConnForm(v.r.PostForm)
	in, err := c.Connections.Integration(ctx, f.Integration)
	if err != nil {
		return c.newConnStep1(v, f, "Choose one of the integrations below.", http.StatusUnprocessableEntity)
	}
	if f.Mode == connection.ModeUser && !f.Accept {
		advice, err := c.ownerAdvice(ctx, f)
		if err != nil {
			return err
		}
		if len(advice) > 0 {
			return c.newConnStep2(v, f, "", http.StatusUnprocessableEntity)
		}
	}
	n := connection.NewConnection{Integration: in.Name, Name: f.Name, AuthMode: f.Mode, Owner: f.Owner, Objects: f.Objects}
	if in.AuthKind != connection.AuthOAuth2 {
		n.Credential = connection.CredentialOf(in.AuthKind, v.r.PostForm.Get("credential"))
	}
	started, err := c.Connections.Create(ctx, v.actor(), n)
	if err != nil {
		if msg, ok := syncProblem(err); ok || isPreflight(err) {
			if !ok {
				msg = asSentence(err)
			}
			return c.newConnStep2(v, f, msg, http.StatusUnprocessableEntity)
		}
		return err
	}
	if started.AuthorizeURL != "" {
		http.Redirect(v.w, v.r, started.AuthorizeURL, http.StatusSeeOther)
		return nil
	}
	id := strconv.FormatInt(started.Connection.ID, 10)
	return v.redirect("/connections/" + id + "/sync/new?notice=" + url.QueryEscape("Connected: "+started.Connection.Name+
		". Now choose what it syncs."))
}

package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/oauth"
)

// consentPage is what the OAuth consent page shows.
type consentPage struct {
	oauth.Consent
	UserEmail, Action string
}

// authorize serves GET (show consent) and POST (decide) /oauth/authorize:
// the authorization server checks the request and turns the decision into
// a code; this page only asks. Without a signed-in user it sends the
// browser to sign in and back.
func (c *Console) authorize(w http.ResponseWriter, r *http.Request) {
	self := r.URL.RequestURI() // as the app wrote it, to come back to
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			RenderError(w, http.StatusBadRequest, ErrorPage{Title: "This app cannot connect",
				Message: "The consent form could not be read.", Hint: "Start the connection again from the app."})
			return
		}
	}
	req, refused := c.OAuth.ReadAuthorize(w, r)
	if refused != nil {
		if !refused.Redirected {
			RenderError(w, http.StatusBadRequest, ErrorPage{Title: "This app cannot connect", Message: refused.Description,
				Hint: "Check the app's client_id and that its redirect_uri is registered exactly as sent."})
		}
		return
	}
	user, ws, ok := c.sessions.Current(r)
	if !ok {
		http.Redirect(w, r, SignInURL(self), http.StatusSeeOther)
		return
	}
	if r.Method == http.MethodGet {
		renderPage(w, http.StatusOK, "consent", Page{Title: "Connect " + req.Consent(user).AppName, User: &user,
			Can: abilitiesOf(user), CSRF: ws.CSRF, Data: consentPage{Consent: req.Consent(user), UserEmail: user.Email, Action: self}})
		return
	}
	if !SameToken(r.PostForm.Get("csrf"), ws.CSRF) {
		RenderError(w, http.StatusForbidden, ErrorPage{Title: "Consent refused",
			Message: "The consent form was not sent from this hub's own page (its form token is missing or wrong), so nothing was granted.",
			Hint:    "Start the connection again from the app."})
		return
	}
	c.OAuth.Answer(w, r, req, user, oauth.Answer{Allow: r.PostForm.Get("decision") == "allow", Optional: r.PostForm["grant_optional"]})
}

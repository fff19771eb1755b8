package oauth

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/web"
)

// authorize serves GET (show consent) and POST (decide) /oauth/authorize.
// Without a signed-in user it sends the browser to sign in and back.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	self := r.URL.RequestURI() // as the client wrote it, to come back to
	// HubSpot's authorize URL has no response_type (its clients never send
	// one); the code flow is the only one the hub offers.
	if q := r.URL.Query(); q.Get("response_type") == "" {
		q.Set("response_type", "code")
		r.URL.RawQuery = q.Encode()
	}
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		s.authorizeError(w, r, ar, err)
		return
	}
	app, err := s.apps.Get(ctx, ar.GetClient().GetID())
	if err != nil {
		s.authorizeError(w, r, ar, fosite.ErrInvalidClient.WithWrap(err))
		return
	}
	optional, err := optionalScopes(r, app)
	if err != nil {
		s.authorizeError(w, r, ar, err)
		return
	}
	user, ws, ok := s.sessions.Current(r)
	if !ok {
		http.Redirect(w, r, web.SignInURL(self), http.StatusSeeOther)
		return
	}
	page := consentPage(app, user, ar.GetRequestedScopes(), optional)
	page.Action, page.CSRF = self, ws.CSRF
	if r.Method == http.MethodGet {
		web.RenderConsent(w, page)
		return
	}
	if !web.SameToken(r.PostFormValue("csrf"), ws.CSRF) {
		web.RenderError(w, http.StatusForbidden, web.ErrorPage{Title: "Consent refused",
			Message: "The consent form was not sent from this hub's own page (its form token is missing or wrong), so nothing was granted.",
			Hint:    "Start the connection again from the app."})
		return
	}
	switch {
	case r.PostFormValue("decision") != "allow":
		s.provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHint("The user denied the request."))
		return
	case page.Blocked:
		s.provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHintf(
			"The user %s lacks permissions the requested scopes need.", user.Email))
		return
	}
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	chosen := r.PostForm["grant_optional"]
	for _, sc := range optional {
		if slices.Contains(chosen, sc) && userAllows(user, sc) {
			ar.GrantScope(sc)
		}
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, &Session{UserID: user.ID, Email: user.Email})
	if err != nil {
		s.authorizeError(w, r, ar, err)
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// authorizeError redirects an error to the client when its redirect URI is
// known to be the client's, and otherwise shows it: an unknown client or
// redirect URI must never receive a redirect.
func (s *Server) authorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	if ar != nil && ar.IsRedirectURIValid() {
		s.provider.WriteAuthorizeError(r.Context(), w, ar, err)
		return
	}
	rfc := fosite.ErrorToRFC6749Error(err)
	web.RenderError(w, http.StatusBadRequest, web.ErrorPage{Title: "This app cannot connect",
		Message: rfc.GetDescription(),
		Hint:    "Check the app's client_id and that its redirect_uri is registered exactly as sent."})
}

// optionalScopes reads HubSpot's optional_scope parameter: scopes the app
// may get if the user allows them, each registered as optional.
func optionalScopes(r *http.Request, app store.App) ([]string, error) {
	var out []string
	for _, sc := range strings.Fields(r.Form.Get("optional_scope")) {
		if !slices.Contains(app.OptionalScopes, sc) {
			return nil, fosite.ErrInvalidScope.WithHintf("The scope %q is not registered as optional for this app.", sc)
		}
		out = append(out, sc)
	}
	return out, nil
}

func consentPage(app store.App, u store.User, required, optional []string) web.ConsentPage {
	p := web.ConsentPage{AppName: app.Name, UserEmail: u.Email}
	for _, sc := range required {
		ok := userAllows(u, sc)
		p.Blocked = p.Blocked || !ok
		p.Scopes = append(p.Scopes, web.ConsentScope{Name: sc, Words: scopeWords(sc), Allowed: ok})
	}
	for _, sc := range optional {
		p.Scopes = append(p.Scopes, web.ConsentScope{Name: sc, Words: scopeWords(sc), Optional: true, Allowed: userAllows(u, sc)})
	}
	return p
}

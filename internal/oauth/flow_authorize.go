package oauth

import (
	"net/http"
	"net/url"
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
	if err := s.exactRedirect(r); err != nil {
		s.authorizeError(w, r, nil, err)
		return
	}
	decision, err := consentForm(r)
	if err != nil {
		s.authorizeError(w, r, nil, err)
		return
	}
	ar, err := s.provider.NewAuthorizeRequest(ctx, queryOnly(r))
	if err != nil {
		s.authorizeError(w, r, ar, err)
		return
	}
	if err := pkceRequired(ar); err != nil {
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
	if !web.SameToken(decision.Get("csrf"), ws.CSRF) {
		web.RenderError(w, http.StatusForbidden, web.ErrorPage{Title: "Consent refused",
			Message: "The consent form was not sent from this hub's own page (its form token is missing or wrong), so nothing was granted.",
			Hint:    "Start the connection again from the app."})
		return
	}
	switch {
	case decision.Get("decision") != "allow":
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
	chosen := decision["grant_optional"]
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

// consentForm reads the user's answer from a consent POST: the decision,
// the form token and the optional scopes chosen. Nothing else in the body
// counts; see queryOnly.
func consentForm(r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		return url.Values{}, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, fosite.ErrInvalidRequest.WithHint("The consent form could not be read.")
	}
	return r.PostForm, nil
}

// queryOnly is r as fosite must see it: the authorization request is the
// query that /oauth/authorize checked (exactRedirect and the consent page's
// action both use it). fosite reads r.Form, where a POST body's values come
// first, so a redirect_uri or scope in the consent form would otherwise
// replace the checked ones.
func queryOnly(r *http.Request) *http.Request {
	q := r.Clone(r.Context())
	q.Method = http.MethodGet
	q.Body, q.ContentLength = http.NoBody, 0
	q.Header.Del("Content-Type")
	q.Form, q.PostForm, q.MultipartForm = nil, nil, nil
	return q
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

// exactRedirect refuses a redirect URI that is not one the app registered,
// character for character. fosite would let a loopback URI change its port
// (RFC 8252); the hub promises exact matches.
func (s *Server) exactRedirect(r *http.Request) error {
	q := r.URL.Query()
	uri := q.Get("redirect_uri")
	if uri == "" {
		return nil
	}
	app, err := s.apps.Get(r.Context(), q.Get("client_id"))
	if err != nil {
		return nil // fosite explains unknown clients
	}
	if !slices.Contains(app.RedirectURIs, uri) {
		return fosite.ErrInvalidRequest.WithHintf("The redirect_uri %q is not one this app registered.", uri)
	}
	return nil
}

// pkceRequired refuses a public client without an S256 challenge, and any
// client with another method, before a code (and grant) is made.
func pkceRequired(ar fosite.AuthorizeRequester) error {
	form := ar.GetRequestForm()
	method := form.Get("code_challenge_method")
	switch {
	case form.Get("code_challenge") == "" && ar.GetClient().IsPublic():
		return fosite.ErrInvalidRequest.WithHint("Public apps must use PKCE: send code_challenge with code_challenge_method=S256.")
	case form.Get("code_challenge") != "" && method != "S256":
		return fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is accepted.")
	}
	return nil
}

// optionalScopes reads HubSpot's optional_scope parameter: scopes the app
// may get if the user allows them, each registered as optional.
func optionalScopes(r *http.Request, app store.App) ([]string, error) {
	var out []string
	for _, sc := range strings.Fields(r.URL.Query().Get("optional_scope")) {
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

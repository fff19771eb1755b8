package oauth

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/hubsync/hubsync/internal/store"
)

// AuthorizeRequest is an authorization request that passed every check the
// hub makes before a user sees it: a known app, a redirect URI it
// registered character for character, PKCE where required, and optional
// scopes it registered. The web layer shows its consent page and hands the
// user's answer back to Answer.
type AuthorizeRequest struct {
	ar       fosite.AuthorizeRequester
	app      store.App
	optional []string
}

// ConsentScope is one scope as a consent page lists it.
type ConsentScope struct {
	Name, Words       string
	Optional, Allowed bool
}

// Consent is what a user is asked to approve.
type Consent struct {
	AppName string
	Scopes  []ConsentScope
	// Blocked is true when the user lacks a permission a required scope needs.
	Blocked bool
}

// AuthorizeError is a request the hub refuses to show. Redirected tells
// whether the refusal already went back to the app; otherwise the caller
// shows Description to the user.
type AuthorizeError struct {
	Redirected  bool
	Description string
}

// ReadAuthorize checks the authorization request in r's query. On a
// refusal it answers the app itself when the redirect URI is known to be
// the app's, and otherwise returns the sentence to show: an unknown client
// or redirect URI must never receive a redirect.
func (s *Server) ReadAuthorize(w http.ResponseWriter, r *http.Request) (*AuthorizeRequest, *AuthorizeError) {
	ctx := r.Context()
	// HubSpot's authorize URL has no response_type (its clients never send
	// one); the code flow is the only one the hub offers.
	if q := r.URL.Query(); q.Get("response_type") == "" {
		q.Set("response_type", "code")
		r.URL.RawQuery = q.Encode()
	}
	if err := s.exactRedirect(r); err != nil {
		return nil, s.authorizeError(w, r, nil, err)
	}
	ar, err := s.provider.NewAuthorizeRequest(ctx, queryOnly(r))
	if err != nil {
		return nil, s.authorizeError(w, r, ar, err)
	}
	if err := pkceRequired(ar); err != nil {
		return nil, s.authorizeError(w, r, ar, err)
	}
	app, err := s.apps.Get(ctx, ar.GetClient().GetID())
	if err != nil {
		return nil, s.authorizeError(w, r, ar, fosite.ErrInvalidClient.WithWrap(err))
	}
	optional, err := optionalScopes(r, app)
	if err != nil {
		return nil, s.authorizeError(w, r, ar, err)
	}
	return &AuthorizeRequest{ar: ar, app: app, optional: optional}, nil
}

// Consent is what u is asked to approve for req.
func (req *AuthorizeRequest) Consent(u store.User) Consent {
	p := Consent{AppName: req.app.Name}
	for _, sc := range req.ar.GetRequestedScopes() {
		ok := userAllows(u, sc)
		p.Blocked = p.Blocked || !ok
		p.Scopes = append(p.Scopes, ConsentScope{Name: sc, Words: scopeWords(sc), Allowed: ok})
	}
	for _, sc := range req.optional {
		p.Scopes = append(p.Scopes, ConsentScope{Name: sc, Words: scopeWords(sc), Optional: true, Allowed: userAllows(u, sc)})
	}
	return p
}

// Answer is a user's decision on a consent page.
type Answer struct {
	Allow bool
	// Optional are the optional scopes the user ticked.
	Optional []string
}

// Answer sends u's decision on req back to the app: a code for the scopes
// granted, or access_denied. A user who lacks a permission a required scope
// needs cannot allow.
func (s *Server) Answer(w http.ResponseWriter, r *http.Request, req *AuthorizeRequest, u store.User, a Answer) {
	ctx, ar := r.Context(), req.ar
	switch {
	case !a.Allow:
		s.provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHint("The user denied the request."))
		return
	case req.Consent(u).Blocked:
		s.provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHintf(
			"The user %s lacks permissions the requested scopes need.", u.Email))
		return
	}
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	for _, sc := range req.optional {
		if slices.Contains(a.Optional, sc) && userAllows(u, sc) {
			ar.GrantScope(sc)
		}
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, &Session{UserID: u.ID, Email: u.Email})
	if err != nil {
		s.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// queryOnly is r as fosite must see it: the authorization request is the
// query that ReadAuthorize checked (exactRedirect and the consent page's
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

func (s *Server) authorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) *AuthorizeError {
	if ar != nil && ar.IsRedirectURIValid() {
		s.provider.WriteAuthorizeError(r.Context(), w, ar, err)
		return &AuthorizeError{Redirected: true}
	}
	return &AuthorizeError{Description: fosite.ErrorToRFC6749Error(err).GetDescription()}
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

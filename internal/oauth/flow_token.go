package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"

	"github.com/hubsync/hubsync/internal/store"
)

// tokenErrorJSON carries RFC 6749's error fields and HubSpot's, so a client
// may read either. HubSpot's published Error model requires category,
// correlationId and message.
type tokenErrorJSON struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Status           string `json:"status"`
	Message          string `json:"message"`
	CorrelationID    string `json:"correlationId"`
	Category         string `json:"category"`
}

// token serves POST /oauth/v1/token: authorization_code and refresh_token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.tokenError(w, "", fosite.ErrInvalidRequest.WithHint("The request body is not a valid form."))
		return
	}
	grantType := r.PostForm.Get("grant_type")
	for k, v := range r.PostForm {
		if len(v) > 1 {
			s.tokenError(w, grantType, fosite.ErrInvalidRequest.WithHintf("The parameter %s was given %d times; give it once.", k, len(v)))
			return
		}
	}
	if err := requiredParams(grantType, r.PostForm); err != nil {
		s.tokenError(w, grantType, err)
		return
	}
	// The client as fosite will authenticate it: a Basic client id read
	// as it is would give each of its spellings ("%61" for "a") tries of
	// its own.
	clientID, _, err := clientCredentials(r)
	if err != nil {
		s.tokenError(w, grantType, err)
		return
	}
	if s.slowDown(w, clientID) {
		return
	}
	if ctx, err = withGeneration(ctx, s.store); err != nil {
		s.tokenError(w, grantType, fosite.ErrServerError.WithWrap(err))
		return
	}
	if err := s.precheck(ctx, grantType, r.PostForm); err != nil {
		s.tokenError(w, grantType, err)
		return
	}
	reason := map[string]string{"authorization_code": "authorization code used twice", "refresh_token": "refresh token used after rotation"}[grantType]
	ctx = withRevokeReason(ctx, reason)
	session := &Session{}
	ar, err := s.provider.NewAccessRequest(ctx, r, session)
	if err != nil {
		s.tokenError(w, grantType, err)
		return
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.tokenError(w, grantType, err)
		return
	}
	body := resp.ToMap()
	body["token_type"] = "bearer"
	// HubSpot's published AccessTokenResponse requires it; strict clients
	// check it.
	body["token_use"] = "access_token"
	body["hub_id"] = s.hub(ctx)
	body["user_id"] = session.UserID
	body["scopes"] = []string(ar.GetGrantedScopes())
	writeJSON(w, http.StatusOK, body)
}

// requiredParams checks what fosite would only answer vaguely: the grant
// type is one the hub offers and its parameters are there.
func requiredParams(grantType string, form url.Values) error {
	need := map[string]string{"authorization_code": "code", "refresh_token": "refresh_token"}
	switch p, ok := need[grantType]; {
	case grantType == "":
		return fosite.ErrInvalidRequest.WithHint("The grant_type parameter is missing.")
	case !ok:
		return fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not offered; use authorization_code or refresh_token.", grantType)
	case form.Get(p) == "":
		return fosite.ErrInvalidRequest.WithHintf("The %s parameter is missing.", p)
	}
	return nil
}

// precheck refuses a code or refresh token whose grant has ended (the user
// was removed or deactivated, changed credentials, or the grant was
// revoked), or a refresh token that its app's lifetime policies ended,
// with a description that says which.
func (s *Server) precheck(ctx context.Context, grantType string, form map[string][]string) error {
	kind, param := store.TokenRefresh, "refresh_token"
	if grantType == "authorization_code" {
		kind, param = store.TokenCode, "code"
	} else if grantType != "refresh_token" {
		return nil
	}
	values := form[param]
	if len(values) != 1 {
		return nil
	}
	if kind == store.TokenRefresh {
		return s.precheckRefresh(ctx, values[0])
	}
	it, ended, err := s.lookup(ctx, kind, values[0])
	return refusal(kind, it, ended, err, s.now())
}

// refusal is precheck's answer to what a lookup of a code or refresh
// token found: the ending of its grant, or the policy that ended a refresh
// token.
func refusal(kind string, it issued, ended *ErrGrantEnded, err error, now time.Time) error {
	switch {
	case ended != nil:
		return fosite.ErrInvalidGrant.WithHint(sentence(ended.Reason))
	case errors.Is(err, errTokenExpired) && kind == store.TokenRefresh:
		return refreshExpired(it.app, it.grant, now)
	}
	return nil // fosite answers unknown, used or broken tokens itself
}

// tokenError answers with the RFC error and HubSpot's status for it.
func (s *Server) tokenError(w http.ResponseWriter, grantType string, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	desc := rfc.GetDescription()
	status := rfc.CodeField
	if status == 0 {
		status = http.StatusBadRequest
	}
	if status == http.StatusUnauthorized {
		// RFC 6749 §5.2: a failed client authentication names the scheme.
		w.Header().Set("WWW-Authenticate", `Basic realm="hubsync"`)
	}
	if status >= 500 {
		s.log.Error("token endpoint failed", "error", rfc.WithExposeDebug(true).GetDescription(), "cause", fmt.Sprint(errors.Unwrap(err)))
	}
	writeJSON(w, status, tokenErrorJSON{Error: rfc.ErrorField, ErrorDescription: desc,
		Status: hubspotStatus(rfc, grantType), Message: desc, CorrelationID: uuid.NewString(), Category: tokenCategory(status, err)})
}

// tokenCategory is HubSpot's error category for a token-endpoint error.
func tokenCategory(status int, err error) string {
	rfc := fosite.ErrorToRFC6749Error(err)
	switch {
	case status >= 500:
		return "INTERNAL_ERROR"
	case errors.Is(err, errRefreshExpired):
		return "EXPIRED_AUTHENTICATION"
	case status == http.StatusUnauthorized, rfc.ErrorField == "invalid_client", rfc.ErrorField == "invalid_grant":
		return "INVALID_AUTHENTICATION"
	}
	return "VALIDATION_ERROR"
}

// hubspotStatus is HubSpot's name for a token-endpoint error.
func hubspotStatus(rfc *fosite.RFC6749Error, grantType string) string {
	// The hint is specific; fosite's descriptions are generic (its
	// invalid_grant one mentions the redirection URI whatever went wrong).
	hint := strings.ToLower(rfc.HintField)
	switch rfc.ErrorField {
	case "invalid_client":
		if strings.Contains(hint, "secret") || strings.Contains(hint, "authentication failed") {
			return "BAD_CLIENT_SECRET"
		}
		return "BAD_CLIENT_ID"
	case "invalid_grant":
		switch {
		case strings.Contains(hint, "redirect"):
			return "BAD_REDIRECT_URI"
		case grantType == "refresh_token":
			return "BAD_REFRESH_TOKEN"
		}
		return "BAD_AUTH_CODE"
	case "unsupported_grant_type":
		return "BAD_GRANT_TYPE"
	case "invalid_scope":
		return "BAD_SCOPE"
	case "unauthorized_client":
		return "BAD_CLIENT_ID"
	case "server_error":
		return "SERVER_ERROR"
	}
	return "BAD_REQUEST"
}

// sentence capitalises a reason for use as a description.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

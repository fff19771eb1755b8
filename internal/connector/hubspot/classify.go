package hubspot

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
)

// How answers become reasons. Only a definite answer may send a connection
// to needs_reconnect, so anything the connector cannot place is transient.
//
//	any endpoint   429                                  transient rate_limited, RetryAfter from Retry-After,
//	                                                    else the rate-limit interval when none remain
//	               5xx; no answer (timeout, DNS, …)     transient external_unreachable
//	               a body that is not JSON              transient external_unreachable
//	token          invalid_client, unauthorized_client,
//	               BAD_CLIENT_ID/SECRET, other 401      definite app_config_changed
//	               BAD_REDIRECT_URI, invalid_scope,
//	               unsupported_grant_type               definite app_config_changed
//	               invalid_grant, BAD_REFRESH_TOKEN,
//	               BAD_AUTH_CODE: revoked, user
//	               removed/deactivated, password        definite external_consent_revoked
//	               … otherwise (unknown, expired)       definite external_token_expired
//	API            401 (OAuth)                          definite external_token_expired
//	               401 (private app)                    definite api_key_invalid
//	               403                                  definite external_scopes_missing
//	access-token   404 (JSON)                           definite external_token_expired
//	information
//	refresh-token  404 (JSON), 400, 401                 definite external_consent_revoked
//	information    (Revoke takes them as success)
//	anything else                                       transient external_unreachable
//
// Every error carries what the external side said in its Said (its
// description holds no secret), apart from the connector's own words, and
// never a URL with a token in it.

// common places what every endpoint answers alike, or returns nil.
func (a answer) common() *connector.Error {
	switch {
	case a.status == http.StatusTooManyRequests:
		wait := retryAfter(a.header.Get("Retry-After"), time.Now())
		if rl := parseRateLimit(a.header); wait == 0 && rl != nil && rl.Remaining == 0 && rl.Interval > 0 {
			// HubSpot's 429s often come without Retry-After; the window
			// they name is the longest the wait can be.
			wait = rl.Interval
		}
		msg := "the external app is limiting the hub's request rate"
		if wait > 0 {
			msg += "; retry after " + wait.String()
		}
		return &connector.Error{Reason: connector.ReasonRateLimited, Message: msg, Said: a.said(), RetryAfter: wait, Err: a.cause()}
	case a.status >= 500:
		return &connector.Error{Reason: connector.ReasonUnreachable, Err: a.cause(),
			Message: fmt.Sprintf("the external app failed to answer (HTTP %d)", a.status), Said: a.said()}
	case !a.isJSON:
		return &connector.Error{Reason: connector.ReasonUnreachable, Err: a.cause(),
			Message: fmt.Sprintf("the external app answered HTTP %d with a body that is not JSON; check that its URLs point to a HubSpot-compatible API", a.status)}
	}
	return nil
}

// unexpected is an answer the connector cannot place.
func (a answer) unexpected(what string) *connector.Error {
	return &connector.Error{Reason: connector.ReasonUnreachable, Err: a.cause(),
		Message: fmt.Sprintf("the external app answered HTTP %d to %s, which the connector does not expect", a.status, what), Said: a.said()}
}

// retryAfter reads a Retry-After header: whole seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now).Round(time.Second), 0)
	}
	return 0
}

// tokenFailure classifies a refusal of the token endpoint; what names the
// request ("the refresh token", "the authorization code").
func (a answer) tokenFailure(what string) *connector.Error {
	if e := a.common(); e != nil {
		return e
	}
	code, status := strings.ToLower(a.fields.Error), strings.ToUpper(a.fields.Status)
	definite := func(reason, msg string) *connector.Error {
		return &connector.Error{Reason: reason, Definite: true, Message: msg, Said: a.said(), Err: a.cause()}
	}
	switch {
	case code == "invalid_client" || code == "unauthorized_client" || status == "BAD_CLIENT_ID" || status == "BAD_CLIENT_SECRET":
		return definite(connector.ReasonAppConfig, "the client id or secret was rejected; the app's registration changed")
	case status == "BAD_REDIRECT_URI":
		return definite(connector.ReasonAppConfig, "the redirect URL was rejected; the app's registration changed")
	case code == "invalid_scope" || status == "BAD_SCOPE":
		return definite(connector.ReasonAppConfig, "the requested scopes were rejected; the app's registration changed")
	case code == "unsupported_grant_type" || status == "BAD_GRANT_TYPE":
		return definite(connector.ReasonAppConfig, "the token endpoint does not offer this grant type; check the token_url setting")
	case code == "invalid_grant" || status == "BAD_REFRESH_TOKEN" || status == "BAD_AUTH_CODE":
		if revocation(a.said()) {
			return definite(connector.ReasonConsentRevoked, "the grant was revoked on the external side")
		}
		return definite(connector.ReasonTokenExpired, "the external app rejected "+what+" as unknown or expired")
	case a.status == http.StatusUnauthorized:
		// RFC 6749 §5.2: a 401 from the token endpoint is a failed client
		// authentication, whatever the body calls it.
		return definite(connector.ReasonAppConfig, "the client id or secret was rejected; the app's registration changed")
	}
	return a.unexpected("a token request")
}

// revocationPhrases say that a grant ended on purpose rather than lapsed.
// They are phrases, not words: fosite's generic invalid_grant description
// ("… is invalid, expired, revoked, does not match …, resource owner
// credentials …") names every cause at once and must not count.
var revocationPhrases = []string{
	"was revoked", "been revoked", "is revoked", "grant revoked", "revoked by",
	"was removed", "been removed", "user removed", "user was deleted", "user deleted",
	"deactivated", "uninstalled",
	"changed their password", "password changed", "password was changed", "changed credentials", "credentials changed",
}

// revocation reports whether a description says the grant was revoked or
// its user removed, deactivated or changed password.
func revocation(description string) bool {
	d := strings.ToLower(description)
	for _, p := range revocationPhrases {
		if strings.Contains(d, p) {
			return true
		}
	}
	return false
}

// apiFailure classifies a refusal of an API call (token information, CRM
// reads); object names what was read, if anything.
func (a answer) apiFailure(kind, what, object string) *connector.Error {
	if e := a.common(); e != nil {
		return e
	}
	switch a.status {
	case http.StatusUnauthorized:
		if kind == AuthPrivateApp {
			return &connector.Error{Reason: connector.ReasonAPIKeyInvalid, Definite: true, Err: a.cause(),
				Message: "the external app rejected the private app token; enter the current one", Said: a.said()}
		}
		return &connector.Error{Reason: connector.ReasonTokenExpired, Definite: true, Err: a.cause(),
			Message: "the external app rejected the access token", Said: a.said()}
	case http.StatusForbidden:
		detail := object
		if need := a.fields.Context["requiredGranularScopes"]; len(need) > 0 && object != "" {
			detail = object + ": " + strings.Join(need, ", ")
		}
		msg := "the external app refused access"
		if object != "" {
			msg += " to " + object
		}
		return &connector.Error{Reason: connector.ReasonScopesMissing, Definite: true, Detail: detail, Err: a.cause(),
			Message: msg, Said: a.said()}
	}
	return a.unexpected(what)
}

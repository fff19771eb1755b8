package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/connector"
)

// Check proves the credential with the cheapest live call and says what it
// may do.
//
// For oauth2 that is the token information of the access token: the
// external account (hub id), user and granted scopes. Every object in
// t.Objects then needs crm.objects.<object>.read and .write, else the error
// is a definite external_scopes_missing whose Detail names the objects and
// their missing scopes (the Identity is returned with it). A definite
// external_token_expired means the external side refused the access token
// (a 401, or token information that no longer knows it): the caller
// refreshes and checks once more, unless the token was fresh already, and
// then the refresh's answer says why the grant is gone.
//
// For private_app it reads one record of each object: a 401 is a definite
// api_key_invalid, a 403 a definite external_scopes_missing naming the
// objects. This proves read access only; private app tokens have no token
// information to read their scopes from.
func (c *Connector) Check(ctx context.Context, t connector.Target, cred connector.Credential) (connector.Identity, error) {
	kind, err := authKind(t)
	if err != nil {
		return connector.Identity{}, err
	}
	api, err := apiURL(t)
	if err != nil {
		return connector.Identity{}, err
	}
	if kind == AuthPrivateApp {
		return connector.Identity{}, redact(c.checkPrivateApp(ctx, api, t.Objects, cred.APIKey), cred.APIKey)
	}
	id, err := c.checkAccessToken(ctx, api, t.Objects, cred.AccessToken)
	return id, redact(err, cred.AccessToken, cred.RefreshToken)
}

// tokenInfo is GET /oauth/v1/access-tokens/{token}, the fields Check uses.
type tokenInfo struct {
	User   string          `json:"user"`
	HubID  json.RawMessage `json:"hub_id"` // a number on HubSpot; a string is taken too
	Scopes []string        `json:"scopes"`
}

func (c *Connector) checkAccessToken(ctx context.Context, api string, objects []string, token string) (connector.Identity, error) {
	if token == "" {
		return connector.Identity{}, connector.Definite(connector.ReasonTokenExpired, "the connection has no access token; refresh it")
	}
	const path = "/oauth/v1/access-tokens/"
	a, err := c.send(ctx, http.MethodGet, api+path+url.PathEscape(token), api+path+"[access token]", "")
	if err != nil {
		return connector.Identity{}, err
	}
	switch {
	case a.status == http.StatusNotFound && a.isJSON:
		// Token information answers 404 for a token it does not know:
		// expired, or retired by a refresh.
		return connector.Identity{}, &connector.Error{Reason: connector.ReasonTokenExpired, Definite: true, Err: a.cause(),
			Message: "the external app no longer knows the access token", Said: a.said()}
	case a.status != http.StatusOK:
		return connector.Identity{}, a.apiFailure(AuthOAuth2, "a token information request", "")
	}
	var info tokenInfo
	if err := json.Unmarshal(a.body, &info); err != nil || !a.isJSON {
		return connector.Identity{}, connector.Transient(connector.ReasonUnreachable,
			"the external app's token information is not in HubSpot's shape; check the api_url setting", nil)
	}
	id := connector.Identity{Account: account(info.HubID), User: info.User, Scopes: info.Scopes}
	if missing := missingScopes(objects, info.Scopes); len(missing) > 0 {
		var parts []string
		for _, m := range missing {
			parts = append(parts, m.object+": "+strings.Join(m.scopes, ", "))
		}
		detail := strings.Join(parts, "; ")
		return id, &connector.Error{Reason: connector.ReasonScopesMissing, Definite: true, Detail: detail,
			Message: "the grant lacks scopes the synced objects need (" + detail + "); reconnect and approve them"}
	}
	return id, nil
}

// account reads a hub id given as a number or a string.
func account(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// objectScopes are what was not granted for one object.
type objectScopes struct {
	object string
	scopes []string
}

// missingScopes lists, per object, the read and write scopes not granted.
func missingScopes(objects, granted []string) []objectScopes {
	var out []objectScopes
	for _, o := range objects {
		var miss []string
		for _, s := range []string{"crm.objects." + o + ".read", "crm.objects." + o + ".write"} {
			if !slices.Contains(granted, s) {
				miss = append(miss, s)
			}
		}
		if len(miss) > 0 {
			out = append(out, objectScopes{object: o, scopes: miss})
		}
	}
	return out
}

func (c *Connector) checkPrivateApp(ctx context.Context, api string, objects []string, key string) error {
	if key == "" {
		return connector.Definite(connector.ReasonAPIKeyInvalid, "the connection has no private app token; enter one")
	}
	probe := objects
	if len(probe) == 0 {
		// Something must prove the token; a refusal for lack of scope
		// still proves it, and no object needs the scope.
		probe = []string{"contacts"}
	}
	var refused []*connector.Error
	for _, o := range probe {
		u := api + "/crm/v3/objects/" + url.PathEscape(o) + "?limit=1"
		a, err := c.send(ctx, http.MethodGet, u, u, key)
		if err != nil {
			return err
		}
		if a.status == http.StatusOK {
			continue
		}
		e := a.apiFailure(AuthPrivateApp, "a read of "+o, o)
		if e.Reason != connector.ReasonScopesMissing {
			return e
		}
		if len(objects) > 0 {
			refused = append(refused, e)
		}
	}
	switch len(refused) {
	case 0:
		return nil
	case 1:
		return refused[0]
	}
	var names, details []string
	for _, e := range refused {
		names = append(names, strings.SplitN(e.Detail, ":", 2)[0])
		details = append(details, e.Detail)
	}
	e := *refused[0]
	e.Detail = strings.Join(details, "; ")
	e.Message = "the external app refused access to " + strings.Join(names, ", ") + "; give the private app their scopes"
	return &e
}

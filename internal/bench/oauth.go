package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"strings"

	"github.com/hubsync/hubsync/internal/formclient"
)

// benchRedirect is the redirect URI of the bench's OAuth app. Nothing
// listens there: the bench reads the code from the consent page's redirect
// without following it.
const benchRedirect = "http://127.0.0.1:9/callback"

// oauthApp is an OAuth app registered on a hub, with one user's grant.
type oauthApp struct {
	clientID, secret string
	access, refresh  string
}

// authorize registers an app on h and approves it as the admin through the
// sign-in and consent pages, as a person in a browser would, then trades
// the code for tokens.
func authorize(ctx context.Context, h *hubProc) (*oauthApp, error) {
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := h.admin.json(ctx, "POST", "/api/v1/apps", map[string]any{"name": "bench app",
		"redirect_uris": []string{benchRedirect}, "scopes": crmScopes}, &app); err != nil {
		return nil, err
	}
	authURL := h.URL + "/oauth/authorize?" + url.Values{"client_id": {app.ClientID}, "redirect_uri": {benchRedirect},
		"scope": {strings.Join(crmScopes, " ")}, "state": {rand.Text()}}.Encode()
	allowed, err := formclient.New().Allow(ctx, authURL, adminEmail, h.password)
	if err != nil {
		return nil, err
	}
	var code string
	if back, err := url.Parse(allowed.Location); err == nil {
		code = back.Query().Get("code")
	}
	if code == "" {
		return nil, errors.New("allowing on the consent page gave no code: " + allowed.Location)
	}
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	c := newClient(h.URL, "")
	if err := c.json(ctx, "POST", "/oauth/v1/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "redirect_uri": {benchRedirect}, "code": {code}}, &tok); err != nil {
		return nil, err
	}
	return &oauthApp{clientID: app.ClientID, secret: app.ClientSecret, access: tok.Access, refresh: tok.Refresh}, nil
}

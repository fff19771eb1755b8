package oauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/oauth"
)

const redirect = "http://127.0.0.1:9/callback"

func TestCodeFlowWithPKCEAndRefresh(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			env := hubtest.New(t, backend)
			env.User(t, "ann@example.com", "admin", nil)
			app, secret := env.App(t, oauth.AppInput{RedirectURIs: []string{redirect},
				Scopes: []string{"crm.objects.contacts.read", "crm.objects.contacts.write"}})
			conf := &oauth2.Config{ClientID: app.ClientID, ClientSecret: secret, RedirectURL: redirect,
				Scopes:   []string{"crm.objects.contacts.read", "crm.objects.contacts.write"},
				Endpoint: oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/v1/token"}}
			verifier := oauth2.GenerateVerifier()
			b := env.Browser()
			back := b.Consent(t, conf.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(verifier)), "ann@example.com")
			if back.Query().Get("state") != "state-12345678" || back.Query().Get("code") == "" {
				t.Fatalf("redirect back: %s", back)
			}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, env.Server.Client())
			tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if tok.RefreshToken == "" || tok.Extra("hub_id") == nil || tok.Extra("user_id") == nil {
				t.Errorf("token response lacks fields: %+v", tok)
			}
			if d := time.Until(tok.Expiry); d < 29*time.Minute || d > 31*time.Minute {
				t.Errorf("access token lives %s, want 30m", d)
			}
			if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", tok.AccessToken, nil); r.Status != http.StatusOK {
				t.Fatalf("API call with the access token: %d %s", r.Status, r.Body)
			}
			expired := *tok
			expired.Expiry = time.Now().Add(-time.Minute)
			fresh, err := conf.TokenSource(ctx, &expired).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			// A confidential app keeps the refresh token of the install, as
			// on HubSpot; the access token is new.
			if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
				t.Errorf("refresh gave access %v, refresh %v; want a new access token and the same refresh token",
					fresh.AccessToken != tok.AccessToken, fresh.RefreshToken != tok.RefreshToken)
			}
			if r := env.Do(t, http.MethodGet, "/crm/v3/objects/contacts", fresh.AccessToken, nil); r.Status != http.StatusOK {
				t.Fatalf("API call with the refreshed token: %d %s", r.Status, r.Body)
			}
		})
	}
}

package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
)

// BenchmarkAdminCall measures one admin API call (GET /api/v1/grants) signed
// in with HTTP Basic, which checks the password at serve's argon2id cost,
// and with a personal admin token, which costs a keyed hash.
func BenchmarkAdminCall(b *testing.B) {
	env := hubtest.Open(b, hubtest.Config(b, hubtest.SQLite), hub.WithIdentity(identity.WithArgon2(identity.DefaultArgon2)))
	u, err := env.Hub.Identity.CreateUser(context.Background(), identity.NewUser{Email: "ops@example.com", Role: identity.RoleAdmin, Password: "long enough"})
	if err != nil {
		b.Fatal(err)
	}
	_, token, err := env.Hub.AdminTokens.Create(context.Background(), audit.CLI, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for name, auth := range map[string]func(*http.Request){
		"basic": func(r *http.Request) { r.SetBasicAuth("ops@example.com", "long enough") },
		"token": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/grants", nil)
				auth(req)
				if r := send(b, env, req); r.Status != http.StatusOK {
					b.Fatalf("status %d: %s", r.Status, r.Body)
				}
			}
		})
	}
}

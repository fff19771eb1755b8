package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/oauth"
)

// The benchmarks run the hub with the garbage-collector settings serve uses.
func init() { hub.TuneGC() }

// benchGrant registers an app, has a user consent and returns the app's
// config and a fresh token.
func benchGrant(b *testing.B, env *hubtest.Env, email string) (*oauth2.Config, *oauth2.Token, context.Context) {
	b.Helper()
	app, secret := env.App(b, oauth.AppInput{RedirectURIs: []string{redirect},
		Scopes: []string{"crm.objects.contacts.read", "crm.objects.deals.read"}})
	conf := &oauth2.Config{ClientID: app.ClientID, ClientSecret: secret, RedirectURL: redirect,
		Scopes:   []string{"crm.objects.contacts.read", "crm.objects.deals.read"},
		Endpoint: oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/v1/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}})
	back := env.Browser().Consent(b, conf.AuthCodeURL("state-12345678"), email)
	tok, err := conf.Exchange(ctx, back.Query().Get("code"))
	if err != nil {
		b.Fatal(err)
	}
	return conf, tok, ctx
}

// BenchmarkRefreshGrantHTTP measures refresh-token grants per second at the
// token endpoint, each rotating its refresh token, from 1 and 4 clients.
func BenchmarkRefreshGrantHTTP(b *testing.B) {
	for _, backend := range hubtest.Backends {
		for _, clients := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/clients=%d", backend, clients), func(b *testing.B) {
				// The per-client limit would cap this at its rate; the server's
				// capacity is what is measured.
				env := hubtest.New(b, backend, func(c *config.Config) { c.TokenRate = -1 })
				env.User(b, "bench@example.com", "admin", nil)
				conf, first, ctx := benchGrant(b, env, "bench@example.com")
				var n atomic.Int64
				var next atomic.Int64
				start := time.Now()
				b.SetParallelism((clients + 1) / 2)
				b.RunParallel(func(pb *testing.PB) {
					// Each client holds its own grant so rotations do not collide.
					tok := first
					if next.Add(1) > 1 {
						_, tok, _ = benchGrantFor(b, env, conf, ctx)
					}
					for pb.Next() {
						expired := *tok
						expired.Expiry = time.Now().Add(-time.Second)
						fresh, err := conf.TokenSource(ctx, &expired).Token()
						if err != nil {
							b.Error(err)
							return
						}
						tok = fresh
						n.Add(1)
					}
				})
				b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "refreshes/s")
			})
		}
	}
}

// benchGrantFor makes another grant of the same app.
func benchGrantFor(b *testing.B, env *hubtest.Env, conf *oauth2.Config, ctx context.Context) (*oauth2.Config, *oauth2.Token, context.Context) {
	back := env.Browser().Consent(b, conf.AuthCodeURL("state-12345678"), "bench@example.com")
	tok, err := conf.Exchange(ctx, back.Query().Get("code"))
	if err != nil {
		b.Fatal(err)
	}
	return conf, tok, ctx
}

// BenchmarkTokenCheck measures what checking a token adds to an API call:
// the OAuth access token with the user's live permissions, and a private
// app token for comparison.
func BenchmarkTokenCheck(b *testing.B) {
	for _, backend := range hubtest.Backends {
		env := hubtest.New(b, backend)
		env.User(b, "bench@example.com", "admin", nil)
		_, tok, _ := benchGrant(b, env, "bench@example.com")
		auth := oauth.NewAuthenticator(env.Hub.PrivateApps, env.Hub.OAuthServer(nil))
		tokens := map[string]string{"oauth": tok.AccessToken, "private-app": env.Token(b, "crm.objects.contacts.read")}
		for _, kind := range []string{"oauth", "private-app"} {
			b.Run(string(backend)+"/"+kind, func(b *testing.B) {
				ctx := context.Background()
				var lat []time.Duration
				for b.Loop() {
					t0 := time.Now()
					p, err := auth.Authenticate(ctx, tokens[kind])
					lat = append(lat, time.Since(t0))
					if err != nil || len(p.Scopes) == 0 {
						b.Fatalf("authenticate: %v %+v", err, p)
					}
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs")
			})
		}
	}
}

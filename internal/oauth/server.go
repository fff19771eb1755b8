package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	fositehmac "github.com/ory/fosite/token/hmac"
	"golang.org/x/time/rate"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Lifetimes.
const (
	DefaultAccessTokenTTL = 30 * time.Minute
	authorizeCodeTTL      = 10 * time.Minute
)

// ServerConfig configures the authorization server.
type ServerConfig struct {
	// PublicURL is the hub's base URL as clients reach it; empty means the
	// scheme and host of each request.
	PublicURL      string
	AccessTokenTTL time.Duration
	// TokenRate limits token-endpoint attempts per client and second, with
	// bursts of twice as many; zero takes DefaultTokenRate, negative means
	// no limit.
	TokenRate float64
	// Now is the server's clock, for tests that move it; nil is time.Now.
	Now func() time.Time
}

// DefaultTokenRate allows an app that refreshes many users' tokens to keep
// up, while bounding how fast anyone can try client secrets or codes.
const DefaultTokenRate = 50

// Server is the hub's OAuth 2.0 authorization server: the authorize,
// consent and token flows run by fosite over the hub's store, token
// information and control, and the check of OAuth tokens on API calls.
type Server struct {
	cfg      ServerConfig
	store    store.Store
	apps     *Apps
	identity *identity.Service
	provider fosite.OAuth2Provider
	strategy *oauth2.HMACSHAStrategy
	enigma   *fositehmac.HMACStrategy
	limiter  *clientLimiter
	passed   *passedChecks
	log      *slog.Logger
	now      func() time.Time

	hubOnce sync.Once
	hubID   int64
}

// NewServer assembles the authorization server.
func NewServer(st store.Store, h Hasher, apps *Apps, id *identity.Service, cfg ServerConfig, log *slog.Logger) *Server {
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	limit, burst := rate.Limit(cfg.TokenRate), int(2*cfg.TokenRate)
	switch {
	case cfg.TokenRate == 0:
		limit, burst = DefaultTokenRate, 2*DefaultTokenRate
	case cfg.TokenRate < 0:
		limit, burst = rate.Inf, 0
	}
	fc := &fosite.Config{
		AccessTokenLifespan:   cfg.AccessTokenTTL,
		AuthorizeCodeLifespan: authorizeCodeTTL,
		// HubSpot's refresh tokens do not expire; they end by revocation.
		RefreshTokenLifespan:        -1,
		RefreshTokenScopes:          []string{},
		ScopeStrategy:               fosite.ExactScopeStrategy,
		EnforcePKCEForPublicClients: true,
		GlobalSecret:                h.Derive("fosite global secret"),
		ClientSecretsHasher:         secretHasher{h: h},
		SendDebugMessagesToClients:  false,
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	fs := &fositeStore{store: st, now: cfg.Now, apps: newAppCache(st)}
	strategy := compose.NewOAuth2HMACStrategy(fc)
	s := &Server{cfg: cfg, store: st, apps: apps, identity: id, strategy: strategy,
		enigma: strategy.Enigma, limiter: newClientLimiter(limit, max(burst, 1)), passed: newPassedChecks(), log: log, now: cfg.Now}
	s.provider = compose.Compose(fc, fs, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		refreshFactory(fs),
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
	)
	return s
}

// Mux is where Routes registers.
type Mux interface {
	Handle(pattern string, handler http.Handler)
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// Routes registers the OAuth endpoints apps call. The authorize endpoint,
// where a person signs in and decides, is a page: the web layer serves it
// with ReadAuthorize and Answer.
func (s *Server) Routes(mux Mux) {
	for _, p := range []string{"/oauth/v1/token", "/oauth/2026-03/token"} {
		mux.HandleFunc("POST "+p, s.token)
	}
	mux.HandleFunc("GET /oauth/v1/access-tokens/{token}", s.accessTokenInfo)
	mux.HandleFunc("GET /oauth/v1/refresh-tokens/{token}", s.refreshTokenInfo)
	mux.HandleFunc("DELETE /oauth/v1/refresh-tokens/{token}", s.deleteRefreshToken)
	for _, p := range []string{"/oauth/v3/token/introspect", "/oauth/2026-03/token/introspect"} {
		mux.HandleFunc("POST "+p, s.introspect)
	}
	for _, p := range []string{"/oauth/v3/token/revoke", "/oauth/2026-03/token/revoke"} {
		mux.HandleFunc("POST "+p, s.revoke)
	}
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.metadata)
}

// issuer is the hub's base URL as the client sees it.
func (s *Server) issuer(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// hub returns the hub id, read once.
func (s *Server) hub(ctx context.Context) int64 {
	s.hubOnce.Do(func() {
		if a, err := s.identity.Account(ctx); err == nil {
			s.hubID = a.HubID
		}
	})
	return s.hubID
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	base := s.issuer(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                        base,
		"authorization_endpoint":                        base + "/oauth/authorize",
		"token_endpoint":                                base + "/oauth/v1/token",
		"introspection_endpoint":                        base + "/oauth/v3/token/introspect",
		"revocation_endpoint":                           base + "/oauth/v3/token/revoke",
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":              []string{"S256"},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"scopes_supported":                              Scopes,
	})
}

// Package api serves the hub over HTTP: the HubSpot-compatible CRM API and
// the health endpoints. It translates requests to the domain packages and
// their answers and errors back to HubSpot's wire shapes; it holds no rules.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/oauth"
)

// maxBody bounds request bodies: a full batch of large records fits.
const maxBody = 8 << 20

// Authenticator resolves a bearer token to the principal it acts as.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (oauth.Principal, error)
}

// Server is the hub's HTTP surface.
type Server struct {
	crm   *crm.Service
	auth  Authenticator
	ready func(context.Context) error
	log   *slog.Logger
	mux   *patternMux
	feed  *feedWaiter // change listings that wait
	// BodyTimeout is how long a request body may take to arrive; zero
	// means DefaultBodyTimeout.
	BodyTimeout time.Duration
	// Observe, if set, hears of every answered request by its route
	// pattern ("" when no route took it), for metrics.
	Observe func(pattern string, status int, took time.Duration)
	// Stopping, if set, closes when the server begins to shut down: change
	// listings that wait answer at once, so a graceful shutdown does not
	// wait out their 25 s.
	Stopping <-chan struct{}
}

// Mux is where the hub's parts register their routes.
type Mux interface {
	Handle(pattern string, handler http.Handler)
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// patternMux registers on a ServeMux and remembers each pattern, so the hub
// can tell which routes it serves.
type patternMux struct {
	*http.ServeMux
	patterns []string
}

func (m *patternMux) Handle(pattern string, handler http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, handler)
}

func (m *patternMux) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(handler))
}

// New returns the hub's HTTP handler. ready answers /readyz; more adds
// other parts' routes, which share the request logging and error shapes.
func New(records *crm.Service, auth Authenticator, ready func(context.Context) error, log *slog.Logger, more ...func(Mux)) *Server {
	s := &Server{crm: records, auth: auth, ready: ready, log: log, mux: &patternMux{ServeMux: http.NewServeMux()},
		feed: newFeedWaiter(records.LastChangeSeq)}
	s.routes()
	for _, m := range more {
		m(s.mux)
	}
	return s
}

// Patterns are the patterns of every route the server serves, as
// registered.
func (s *Server) Patterns() []string { return slices.Clone(s.mux.patterns) }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)

	objects := "/crm/v3/objects/{type}"
	s.handle("GET "+objects, objectScope(false), s.list)
	s.handle("POST "+objects, objectScope(true), s.create)
	s.handle("GET "+objects+"/{id}", objectScope(false), s.get)
	s.handle("PATCH "+objects+"/{id}", objectScope(true), s.update)
	s.handle("DELETE "+objects+"/{id}", objectScope(true), s.archive)
	s.handle("POST "+objects+"/batch/read", objectScope(false), s.batchRead)
	s.handle("POST "+objects+"/batch/create", objectScope(true), s.batchCreate)
	s.handle("POST "+objects+"/batch/update", objectScope(true), s.batchUpdate)
	s.handle("POST "+objects+"/batch/upsert", objectScope(true), s.batchUpsert)
	s.handle("POST "+objects+"/batch/archive", objectScope(true), s.batchArchive)
	s.handle("POST "+objects+"/search", objectScope(false), s.search)
	s.handle("GET "+ChangesPath, objectScope(false), s.changes)

	props := "/crm/v3/properties/{type}"
	s.handle("GET "+props, schemaScope(false), s.properties)
	s.handle("POST "+props, schemaScope(true), s.createProperty)
	s.handle("GET "+props+"/{name}", schemaScope(false), s.property)
	s.handle("PATCH "+props+"/{name}", schemaScope(true), s.updateProperty)
	s.handle("DELETE "+props+"/{name}", schemaScope(true), s.archiveProperty)
	s.handle("POST "+props+"/batch/archive", schemaScope(true), s.archiveProperties)
}

// ServeHTTP gives every request a correlation id and a log line, refuses
// input no route takes (guard), and turns panics and unknown routes into
// HubSpot-shaped errors.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := uuid.NewString()
	ctx := context.WithValue(r.Context(), correlationKey{}, id)
	r = r.WithContext(ctx)
	w.Header().Set("X-HubSpot-Correlation-Id", id)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	_, pattern := s.mux.Handler(r)
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "panic", "panic", p, "correlationId", id)
			writeError(ctx, rec, s.log, errors.New("panic"))
		}
		// The pattern, never the path: paths can carry tokens.
		s.log.InfoContext(ctx, "request", "method", r.Method, "route", pattern, "status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "correlationId", id)
		if s.Observe != nil {
			s.Observe(pattern, rec.status, time.Since(start))
		}
	}()
	if err := s.guard(w, r, pattern); err != nil {
		writeError(ctx, rec, s.log, err)
		return
	}
	if pattern == "" {
		writeError(ctx, rec, s.log, s.noRoute(r, rec.Header()))
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// noRoute explains a request no route takes: 405 naming the methods the
// path does take, or 404.
func (s *Server) noRoute(r *http.Request, h http.Header) *apiError {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		h.Set("Allow", strings.Join(allowed, ", "))
		return &apiError{status: http.StatusMethodNotAllowed, category: catValidation, subCategory: "METHOD_NOT_ALLOWED",
			message: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allowed, ", ")}
	}
	return &apiError{status: http.StatusNotFound, category: catObjectNotFound, subCategory: "NO_ROUTE",
		message: "No route for " + r.Method + " " + r.URL.Path}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// call is what a CRM handler receives: the request, its object type and
// who is calling.
type call struct {
	r     *http.Request
	ot    *crm.ObjectType
	actor oauth.Principal
}

// scopeFunc names the scope a call on an object type needs.
type scopeFunc func(objectType string) string

func objectScope(write bool) scopeFunc {
	return func(t string) string { return oauth.ObjectScope(t, write) }
}

func schemaScope(write bool) scopeFunc {
	return func(t string) string { return oauth.SchemaScope(t, write) }
}

// handle registers a CRM route: authenticate, resolve the object type, check
// the scope, then run h. h returns the status and body, or an error.
func (s *Server) handle(pattern string, scope scopeFunc, h func(c call) (int, any, error)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		status, body, err := s.serveCall(r, scope, h)
		respond(w, r, s.log, status, body, err)
	})
}

func (s *Server) serveCall(r *http.Request, scope scopeFunc, h func(c call) (int, any, error)) (int, any, error) {
	p, err := s.authenticate(r)
	if err != nil {
		return 0, nil, err
	}
	ot, err := crm.LookupType(r.PathValue("type"))
	if err != nil {
		return 0, nil, err
	}
	if need := scope(ot.Name); !p.HasScope(need) {
		return 0, nil, missingScope(p, need, ot.Name)
	}
	return h(call{r: r, ot: ot, actor: p})
}

// missingScope explains a refused call: the app lacks the scope, or (for
// OAuth) the user who authorized it no longer has the permission it needs.
func missingScope(p oauth.Principal, need, object string) *apiError {
	ctx := map[string][]string{"requiredGranularScopes": {need}}
	if !slices.Contains(p.Granted, need) {
		return &apiError{status: http.StatusForbidden, category: catMissingScopes, subCategory: "MISSING_SCOPES", context: ctx,
			message: "This app hasn't been granted all required scopes to make this call. It needs the scope " + need + "."}
	}
	level := "view"
	if strings.HasSuffix(need, ".write") {
		level = "edit"
	}
	return &apiError{status: http.StatusForbidden, category: catUserPermission, subCategory: "USER_LACKS_PERMISSION", context: ctx,
		message: "The user who authorized this app, " + p.UserEmail + ", does not have " + level + " permission on " + object +
			", so the app cannot use " + need + ". Restore the permission, or reconnect the app as a user who has it."}
}

// bearer returns the request's bearer token, if it sends one.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		token, ok = strings.CutPrefix(h, "bearer ")
	}
	token = strings.TrimSpace(token)
	return token, ok && token != ""
}

func (s *Server) authenticate(r *http.Request) (oauth.Principal, error) {
	token, ok := bearer(r)
	if !ok {
		return oauth.Principal{}, &apiError{status: http.StatusUnauthorized, category: catInvalidAuth, subCategory: "MISSING_TOKEN",
			message: "Authentication credentials not found. Send a private app or OAuth access token as Authorization: Bearer <token>."}
	}
	p, err := s.auth.Authenticate(r.Context(), token)
	var ended *oauth.ErrGrantEnded
	switch {
	case errors.As(err, &ended):
		return p, &apiError{status: http.StatusUnauthorized, category: catInvalidAuth, subCategory: strings.ToUpper(ended.Code),
			message: "The access token no longer works: " + ended.Reason + "."}
	case errors.Is(err, oauth.ErrTokenExpired):
		return p, &apiError{status: http.StatusUnauthorized, category: catExpiredAuth, subCategory: "TOKEN_EXPIRED",
			message: "The access token has expired: " + strings.TrimPrefix(err.Error(), oauth.ErrTokenExpired.Error()+": ") + ". Use the current token."}
	case errors.Is(err, oauth.ErrInvalidToken):
		return p, &apiError{status: http.StatusUnauthorized, category: catInvalidAuth, subCategory: "INVALID_TOKEN",
			message: "The access token is not valid: it does not exist, or its app was deleted."}
	}
	return p, err
}

type correlationKey struct{}

func correlationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

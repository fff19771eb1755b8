package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
	"github.com/hubsync/hubsync/internal/web"
)

// Admin serves the admin API (/api/v1): apps, grants and what removing a
// user would break. Callers sign in with a personal admin token (Bearer),
// HTTP Basic (email and password) or a browser session; a session's writes
// also need its X-CSRF-Token.
type Admin struct {
	AdminServices
	log *slog.Logger
}

// AdminServices are the domain services behind the admin API.
type AdminServices struct {
	Apps        *oauth.Apps
	Grants      *oauth.Grants
	PrivateApps *oauth.PrivateApps
	Identity    *identity.Service
	Sessions    *web.Sessions
	AdminTokens *oauth.AdminTokens
	Connections *connection.Service
	Webhooks    *audit.Webhooks
	Audit       *audit.Log
	Syncer      *syncer.Engine
	// Enqueue asks for a sync run of a connection.
	Enqueue func(ctx context.Context, connectionID int64, trigger string) error
}

// NewAdmin returns the admin API.
func NewAdmin(s AdminServices, log *slog.Logger) *Admin {
	return &Admin{AdminServices: s, log: log}
}

// adminCall is an admin request and the user making it.
type adminCall struct {
	r    *http.Request
	user store.User
	// byToken is set when the user signed in with an admin token.
	byToken bool
}

// Who may call an admin route. route is the route's pattern, e.g.
// "POST /api/v1/connections/{id}/pause", which a refusal names.
type gate func(u store.User, route string) *apiError

// permIntegrationsManage is the permission that changing apps, grants,
// integrations, connections and webhooks needs.
const permIntegrationsManage = "integrations.manage"

func manageIntegrations(u store.User, route string) *apiError {
	if identity.CanManageIntegrations(u) {
		return nil
	}
	return missingPermission(u, u.Email+" does not have the "+permIntegrationsManage+" permission, which "+route+" needs")
}

func userAdmin(u store.User, route string) *apiError {
	if identity.CanManageUsers(u) {
		return nil
	}
	return forbidden(u.Email + " is not an admin, which " + route + " needs")
}

// missingPermission refuses u a route for want of integrations.manage,
// saying how an admin grants it; context names the permission for scripts.
func missingPermission(u store.User, msg string) *apiError {
	e := forbidden(msg + "; an admin can grant it with: hubsync users update " + u.Email + " --integrations-manage")
	e.context = map[string][]string{"requiredPermissions": {permIntegrationsManage}}
	return e
}

func forbidden(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, category: catUserPermission, subCategory: "NOT_ALLOWED", message: msg}
}

// Routes registers the admin API.
func (a *Admin) Routes(mux Mux) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(r.Context(), w, a.log, &apiError{status: http.StatusForbidden, category: catInvalidAuth, subCategory: "CROSS_ORIGIN",
			message: "The request came from a page of another site (Origin or Sec-Fetch-Site), which may not use the admin API"})
	}))
	handle := func(pattern string, g gate, h func(adminCall) (int, any, error)) {
		mux.Handle(pattern, cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			status, body, err := a.serve(r, pattern, g, h)
			respond(w, r, a.log, status, body, err)
		})))
	}
	mux.Handle("GET "+openAPIPath, http.HandlerFunc(serveOpenAPI))
	handle("GET /api/v1/apps", manageIntegrations, a.listApps)
	handle("POST /api/v1/apps", manageIntegrations, a.createApp)
	handle("GET /api/v1/apps/{app}", manageIntegrations, a.getApp)
	handle("PATCH /api/v1/apps/{app}", manageIntegrations, a.updateApp)
	handle("DELETE /api/v1/apps/{app}", manageIntegrations, a.deleteApp)
	handle("POST /api/v1/apps/{app}/rotate-secret", manageIntegrations, a.rotateSecret)
	handle("GET /api/v1/grants", manageIntegrations, a.listGrants)
	handle("DELETE /api/v1/grants/{grant}", manageIntegrations, a.revokeGrant)
	handle("GET /api/v1/users/{user}/impact", userAdmin, a.impact)
	a.connectionRoutes(handle)
	a.userRoutes(handle)
	a.privateAppRoutes(handle)
	a.syncRoutes(handle)
	a.tokenRoutes(handle)
	a.settingsRoutes(handle)
}

func (a *Admin) serve(r *http.Request, route string, g gate, h func(adminCall) (int, any, error)) (int, any, error) {
	c := adminCall{r: r}
	var err error
	if c.user, c.byToken, err = a.signedIn(r); err != nil {
		return 0, nil, err
	}
	if e := g(c.user, route); e != nil {
		return 0, nil, e
	}
	status, body, err := h(c)
	return status, body, adminError(err)
}

// signedIn returns the calling user, and whether they came with an admin token.
func (a *Admin) signedIn(r *http.Request) (store.User, bool, error) {
	if token, ok := bearer(r); ok {
		u, err := a.AdminTokens.Authenticate(r.Context(), token)
		switch {
		case errors.Is(err, oauth.ErrInvalidToken):
			return u, true, &apiError{status: http.StatusUnauthorized, category: catInvalidAuth, subCategory: "INVALID_TOKEN",
				message: "The admin token is not valid: it does not exist or was revoked. The admin API takes a personal admin token (hubsync tokens create), not an app's token."}
		case errors.Is(err, oauth.ErrAdminTokenEnded):
			return u, true, &apiError{status: http.StatusUnauthorized, category: catInvalidAuth, subCategory: "TOKEN_ENDED",
				message: "The admin token no longer works: " + strings.TrimPrefix(err.Error(), oauth.ErrAdminTokenEnded.Error()+": ") + "."}
		}
		return u, true, err
	}
	u, err := a.signedInByPassword(r)
	return u, false, err
}

// signedInByPassword returns the user of HTTP Basic credentials or of a
// browser session.
func (a *Admin) signedInByPassword(r *http.Request) (store.User, error) {
	if email, password, ok := r.BasicAuth(); ok {
		u, err := a.Identity.Authenticate(r.Context(), identity.Attempt{Email: email, Password: password,
			Address: web.ClientAddress(r), Via: "admin API"})
		var later *identity.RetryError
		switch {
		case errors.As(err, &later):
			code := "SIGN_IN_LOCKED"
			if errors.Is(err, identity.ErrBusy) {
				code = "BUSY"
			}
			return u, &apiError{status: http.StatusTooManyRequests, category: catRateLimits, subCategory: code,
				message: later.Sentence(), retryAfter: later.Seconds()}
		case errors.Is(err, identity.ErrBadCredentials):
			return u, &apiError{status: http.StatusUnauthorized, category: catInvalidAuth, subCategory: "BAD_CREDENTIALS",
				message: "Email or password is wrong, or the user is not active."}
		}
		return u, err
	}
	u, ws, ok := a.Sessions.Current(r)
	if !ok {
		return u, &apiError{status: http.StatusUnauthorized, category: catInvalidAuth, subCategory: "NOT_SIGNED_IN",
			message: "Sign in: send a personal admin token (Authorization: Bearer), HTTP Basic credentials (email and password) or a session cookie."}
	}
	if r.Method != http.MethodGet && !web.SameToken(r.Header.Get("X-CSRF-Token"), ws.CSRF) {
		return u, &apiError{status: http.StatusForbidden, category: catInvalidAuth, subCategory: "CSRF",
			message: "A change made with a session cookie needs the session's X-CSRF-Token header."}
	}
	return u, nil
}

// adminError gives domain errors their status.
func adminError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &apiError{status: http.StatusNotFound, category: catObjectNotFound, subCategory: "NOT_FOUND", message: err.Error()}
	case errors.Is(err, oauth.ErrInvalid), errors.Is(err, oauth.ErrInvalidScope), errors.Is(err, identity.ErrInvalid),
		errors.Is(err, connection.ErrInvalid), errors.Is(err, audit.ErrInvalid):
		return badRequest("INVALID_INPUT", err.Error())
	case errors.As(err, new(*connector.Error)):
		return externalError(err)
	case errors.Is(err, store.ErrAlreadyExists):
		return &apiError{status: http.StatusConflict, category: catConflict, subCategory: "ALREADY_EXISTS", message: err.Error()}
	case errors.Is(err, connection.ErrForbidden):
		return forbidden(err.Error())
	case errors.Is(err, connection.ErrPreflight):
		return badRequest("PREFLIGHT_FAILED", err.Error())
	case errors.Is(err, connection.ErrHasDependents):
		return &apiError{status: http.StatusConflict, category: catConflict, subCategory: "USER_HAS_CONNECTIONS", message: err.Error()}
	case errors.Is(err, connection.ErrHeld):
		return &apiError{status: http.StatusConflict, category: catConflict, subCategory: "CONNECTION_HELD", message: err.Error()}
	case errors.Is(err, identity.ErrLastSuperAdmin), errors.Is(err, identity.ErrUserRemoved):
		return &apiError{status: http.StatusConflict, category: catConflict, subCategory: "NOT_ALLOWED", message: err.Error()}
	}
	return err
}

type appInputJSON struct {
	Name           *string  `json:"name"`
	RedirectURIs   []string `json:"redirect_uris"`
	Scopes         []string `json:"scopes"`
	OptionalScopes []string `json:"optional_scopes"`
	Public         bool     `json:"public"`
	// The refresh-token policy; lifetimes are durations such as "720h",
	// "0" for none.
	RefreshTokenRotation    *bool   `json:"refresh_token_rotation"`
	RefreshTokenIdleTTL     *string `json:"refresh_token_idle_ttl"`
	RefreshTokenAbsoluteTTL *string `json:"refresh_token_absolute_ttl"`
}

// policy sets the refresh-token policy the body names on out.
func (in appInputJSON) policy(out *oauth.AppInput) error {
	out.RefreshTokenRotation = in.RefreshTokenRotation
	for _, f := range []struct {
		name string
		in   *string
		out  **time.Duration
	}{
		{oauth.SettingIdleTTL, in.RefreshTokenIdleTTL, &out.RefreshTokenIdleTTL},
		{oauth.SettingAbsoluteTTL, in.RefreshTokenAbsoluteTTL, &out.RefreshTokenAbsoluteTTL},
	} {
		if f.in == nil {
			continue
		}
		d, err := oauth.ParseLifetime(*f.in)
		if err != nil {
			e := badRequest("INVALID_INPUT", f.name+": "+err.Error())
			e.context = map[string][]string{"field": {f.name}}
			return e
		}
		*f.out = &d
	}
	return nil
}

func (a *Admin) listApps(c adminCall) (int, any, error) {
	apps, err := a.Apps.List(c.r.Context())
	out := make([]AppView, len(apps))
	for i, p := range apps {
		out[i] = NewAppView(p, "")
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

func (a *Admin) createApp(c adminCall) (int, any, error) {
	var in appInputJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	name := ""
	if in.Name != nil {
		name = *in.Name
	}
	next := oauth.AppInput{Name: name, RedirectURIs: in.RedirectURIs, Scopes: in.Scopes, OptionalScopes: in.OptionalScopes, Public: in.Public}
	if err := in.policy(&next); err != nil {
		return 0, nil, err
	}
	p, secret, err := a.Apps.Create(c.r.Context(), next, c.user.ID)
	return http.StatusCreated, NewAppView(p, secret), err
}

func (a *Admin) getApp(c adminCall) (int, any, error) {
	p, err := a.Apps.Get(c.r.Context(), c.r.PathValue("app"))
	return http.StatusOK, NewAppView(p, ""), err
}

// updateApp changes the fields the body names.
func (a *Admin) updateApp(c adminCall) (int, any, error) {
	var in appInputJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	cur, err := a.Apps.Get(c.r.Context(), c.r.PathValue("app"))
	if err != nil {
		return 0, nil, err
	}
	next := oauth.InputOf(cur)
	if err := in.policy(&next); err != nil {
		return 0, nil, err
	}
	if in.Name != nil {
		next.Name = *in.Name
	}
	if in.RedirectURIs != nil {
		next.RedirectURIs = in.RedirectURIs
	}
	if in.Scopes != nil {
		next.Scopes = in.Scopes
	}
	if in.OptionalScopes != nil {
		next.OptionalScopes = in.OptionalScopes
	}
	p, err := a.Apps.Update(c.r.Context(), c.r.PathValue("app"), next)
	return http.StatusOK, NewAppView(p, ""), err
}

func (a *Admin) deleteApp(c adminCall) (int, any, error) {
	return http.StatusNoContent, nil, a.Apps.Delete(c.r.Context(), c.r.PathValue("app"))
}

func (a *Admin) rotateSecret(c adminCall) (int, any, error) {
	p, secret, err := a.Apps.RotateSecret(c.r.Context(), c.r.PathValue("app"))
	return http.StatusOK, NewAppView(p, secret), err
}

func (a *Admin) listGrants(c adminCall) (int, any, error) {
	ctx := c.r.Context()
	var userID, appID int64
	if ref := c.r.URL.Query().Get("user"); ref != "" {
		u, err := a.Identity.User(ctx, ref)
		if err != nil {
			return 0, nil, err
		}
		userID = u.ID
	}
	if ref := c.r.URL.Query().Get("app"); ref != "" {
		p, err := a.Apps.Get(ctx, ref)
		if err != nil {
			return 0, nil, err
		}
		appID = p.ID
	}
	views, err := a.Grants.List(ctx, userID, appID)
	return http.StatusOK, map[string]any{"results": NewGrantViews(views)}, err
}

func (a *Admin) revokeGrant(c adminCall) (int, any, error) {
	reason := "revoked by " + c.user.Email
	return http.StatusNoContent, nil, a.Grants.Revoke(c.r.Context(), c.r.PathValue("grant"), reason)
}

func (a *Admin) impact(c adminCall) (int, any, error) {
	u, err := a.Identity.User(c.r.Context(), c.r.PathValue("user"))
	if err != nil {
		return 0, nil, err
	}
	views, err := a.Grants.Impact(c.r.Context(), u.ID)
	if err != nil {
		return 0, nil, err
	}
	deps, err := a.Connections.Dependents(c.r.Context(), u.ID)
	return http.StatusOK, ImpactView{User: NewUserView(u), Grants: NewGrantViews(views), Connections: NewDependentViews(deps)}, err
}

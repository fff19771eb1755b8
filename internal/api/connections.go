package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// viewIntegrations lets admins and integration managers read connections,
// the review and the audit log.
func viewIntegrations(u store.User, route string) *apiError {
	if identity.CanViewIntegrations(u) {
		return nil
	}
	return missingPermission(u, u.Email+" is not an admin and does not have the "+permIntegrationsManage+" permission; "+
		route+" needs one of them")
}

func (a *Admin) connectionRoutes(handle func(string, gate, func(adminCall) (int, any, error))) {
	handle("GET /api/v1/providers", viewIntegrations, a.listProviders)
	handle("GET /api/v1/integrations", viewIntegrations, a.listIntegrations)
	handle("POST /api/v1/integrations", manageIntegrations, a.createIntegration)
	handle("PATCH /api/v1/integrations/{integration}", manageIntegrations, a.updateIntegration)
	handle("DELETE /api/v1/integrations/{integration}", manageIntegrations, a.deleteIntegration)
	handle("GET /api/v1/connections", viewIntegrations, a.listConnections)
	handle("POST /api/v1/connections", manageIntegrations, a.createConnection)
	handle("GET /api/v1/connections/{id}", viewIntegrations, a.getConnection)
	handle("DELETE /api/v1/connections/{id}", manageIntegrations, a.deleteConnection)
	handle("POST /api/v1/connections/{id}/reconnect", manageIntegrations, a.reconnect)
	handle("POST /api/v1/connections/{id}/transfer", manageIntegrations, a.transfer)
	handle("POST /api/v1/connections/{id}/pause", manageIntegrations, a.pause)
	handle("POST /api/v1/connections/{id}/resume", manageIntegrations, a.resume)
	handle("POST /api/v1/connections/{id}/diagnose", manageIntegrations, a.diagnose)
	handle("GET /api/v1/review", viewIntegrations, a.review)
	handle("PUT /api/v1/review/interval", manageIntegrations, a.setReviewInterval)
	handle("POST /api/v1/connections/{id}/reviewed", manageIntegrations, a.markReviewed)
	handle("GET /api/v1/attention", viewIntegrations, a.attention)
	handle("GET /api/v1/audit", viewIntegrations, a.auditLog)
	handle("GET /api/v1/webhooks", manageIntegrations, a.listWebhooks)
	handle("POST /api/v1/webhooks", manageIntegrations, a.createWebhook)
	handle("DELETE /api/v1/webhooks/{id}", manageIntegrations, a.deleteWebhook)
	handle("POST /api/v1/users/{user}/remove", userAdmin, a.offboard(identity.StatusRemoved))
	handle("POST /api/v1/users/{user}/deactivate", userAdmin, a.offboard(identity.StatusDeactivated))
}

func actor(u store.User) audit.Actor { return audit.Actor{ID: u.ID, Label: u.Email} }

// externalError is an external app's answer during a create or reconnect:
// a definite one is the caller's to fix, a transient one the external app's.
func externalError(err error) error {
	var e *connector.Error
	errors.As(err, &e)
	status := http.StatusBadRequest
	if !e.Definite {
		status = http.StatusBadGateway
	}
	msg := e.Text()
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return &apiError{status: status, category: catValidation, subCategory: strings.ToUpper(e.Reason), message: msg}
}

// pathID reads the route's {id}; see idParam.
func pathID(c adminCall) (int64, error) { return idParam(c, "id") }

// idParam reads a numeric id of the route's path: ids are whole numbers
// above zero, so anything else is the caller's mistake (400), never an
// unknown id (404) nor a failure (500).
func idParam(c adminCall, name string) (int64, error) {
	v := c.r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("INVALID_ID", fmt.Sprintf("the {%s} in the path must be a whole number above zero, not %q", name, v))
	}
	return id, nil
}

// queryLimit reads the ?limit= of a list: def when it is absent, else a
// whole number from 1 to most.
func queryLimit(c adminCall, def, most int) (int, error) {
	v := c.r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, badRequest("INVALID_INPUT", fmt.Sprintf("limit must be a whole number from 1 to %d, not %q", most, v))
	}
	return n, nil
}

// connectionID reads the route's connection id and answers 404 when no
// such connection exists, so that routes that list what a connection has
// do not answer an empty list for one that is not there. Routes whose
// service reads the connection first (show, delete, pause, resume,
// diagnose) take pathID: the service's own read answers the 404.
func (a *Admin) connectionID(c adminCall) (int64, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, err
	}
	if _, err := a.Connections.Get(c.r.Context(), id); err != nil {
		return 0, err
	}
	return id, nil
}

func (a *Admin) listProviders(adminCall) (int, any, error) {
	type provider struct {
		Name  string   `json:"name"`
		Auths []string `json:"auth"`
	}
	out := []provider{}
	for _, name := range connection.Providers() {
		out = append(out, provider{Name: name, Auths: connection.ProviderAuth(name)})
	}
	return http.StatusOK, map[string]any{"results": out}, nil
}

func (a *Admin) listIntegrations(c adminCall) (int, any, error) {
	ins, err := a.Connections.Integrations(c.r.Context())
	out := make([]IntegrationView, len(ins))
	for i, in := range ins {
		out[i] = NewIntegrationView(in)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

type integrationJSON struct {
	Name     string            `json:"name"`
	Provider string            `json:"provider"`
	Auth     string            `json:"auth"`
	Settings map[string]string `json:"settings"`
	// BaseURL fills the OAuth URLs of another HubSpot-compatible hub.
	BaseURL      string `json:"base_url"`
	ClientSecret string `json:"client_secret"`
}

func (a *Admin) createIntegration(c adminCall) (int, any, error) {
	var in integrationJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	n := connection.NewIntegration{Name: in.Name, Provider: in.Provider, AuthKind: in.Auth,
		Settings: connection.ProviderSettings(in.Provider, in.BaseURL, in.Settings), Secret: in.ClientSecret}
	created, err := a.Connections.CreateIntegration(c.r.Context(), actor(c.user), n)
	return http.StatusCreated, NewIntegrationView(created), err
}

func (a *Admin) updateIntegration(c adminCall) (int, any, error) {
	var in struct {
		Settings     map[string]string `json:"settings"`
		ClientSecret string            `json:"client_secret"`
	}
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	updated, err := a.Connections.UpdateIntegration(c.r.Context(), actor(c.user), c.r.PathValue("integration"),
		connection.IntegrationChange{Settings: in.Settings, Secret: in.ClientSecret})
	return http.StatusOK, NewIntegrationView(updated), err
}

func (a *Admin) deleteIntegration(c adminCall) (int, any, error) {
	return http.StatusNoContent, nil, a.Connections.DeleteIntegration(c.r.Context(), actor(c.user), c.r.PathValue("integration"))
}

func (a *Admin) listConnections(c adminCall) (int, any, error) {
	q := c.r.URL.Query()
	if q.Has("status") || q.Has("provider") || q.Has("owner") || q.Has("q") || q.Has("page") {
		return a.findConnections(c)
	}
	cs, err := a.Connections.List(c.r.Context())
	out := make([]ConnectionView, len(cs))
	for i, conn := range cs {
		out[i] = NewConnectionView(conn)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

// findConnections is the list filtered as the console filters it: live
// connections only, by name, a page of connection.PageSize at a time.
func (a *Admin) findConnections(c adminCall) (int, any, error) {
	q := c.r.URL.Query()
	f := connection.Filter{Status: q.Get("status"), Provider: q.Get("provider"), Name: q.Get("q")}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, badRequest("INVALID_INPUT", "page must be a whole number from 1")
		}
		f.Page = n
	}
	if ref := q.Get("owner"); ref != "" {
		u, err := a.Identity.User(c.r.Context(), ref)
		if err != nil {
			return 0, nil, err
		}
		f.OwnerID = u.ID
	}
	found, err := a.Connections.Find(c.r.Context(), &c.user, f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]ConnectionView, len(found.Rows))
	for i, r := range found.Rows {
		out[i] = NewConnectionView(r.Connection)
	}
	return http.StatusOK, map[string]any{"results": out, "total": found.Total, "page": found.Page, "pages": found.Pages}, nil
}

// credentialJSON is a key or database URL given to create or reconnect.
type credentialJSON struct {
	APIKey string `json:"api_key"`
	URL    string `json:"url"`
}

func (j credentialJSON) credential() connector.Credential {
	return connector.Credential{APIKey: j.APIKey, URL: j.URL}
}

type connectionJSON struct {
	Integration string            `json:"integration"`
	Name        string            `json:"name"`
	AuthMode    string            `json:"auth_mode"`
	Owner       string            `json:"owner"`
	Maintainer  string            `json:"maintainer"`
	Note        string            `json:"note"`
	Objects     []string          `json:"objects"`
	Config      map[string]string `json:"config"`
	Credential  credentialJSON    `json:"credential"`
}

func (a *Admin) createConnection(c adminCall) (int, any, error) {
	var in connectionJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	started, err := a.Connections.Create(c.r.Context(), actor(c.user), connection.NewConnection{
		Integration: in.Integration, Name: in.Name, AuthMode: in.AuthMode, Owner: in.Owner, Maintainer: in.Maintainer,
		Note: in.Note, Objects: in.Objects, Config: in.Config, Credential: in.Credential.credential()})
	status := http.StatusCreated
	if started.AuthorizeURL != "" {
		status = http.StatusAccepted
	}
	return status, NewStartedView(started), err
}

func (a *Admin) getConnection(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	sum, err := a.Connections.Summarize(c.r.Context(), id)
	return http.StatusOK, NewConnectionSummaryView(sum), err
}

func (a *Admin) deleteConnection(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.Connections.Delete(c.r.Context(), actor(c.user), id)
}

func (a *Admin) reconnect(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Owner      string         `json:"owner"`
		Credential credentialJSON `json:"credential"`
	}
	if err := decodeOptional(c.r, &in); err != nil {
		return 0, nil, err
	}
	started, err := a.Connections.Reconnect(c.r.Context(), actor(c.user), id,
		connection.Reconnection{Owner: in.Owner, Credential: in.Credential.credential()})
	status := http.StatusOK
	if started.AuthorizeURL != "" {
		status = http.StatusAccepted
	}
	return status, NewStartedView(started), err
}

func (a *Admin) transfer(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		To         string `json:"to"`
		AuthMode   string `json:"auth_mode"`
		Maintainer string `json:"maintainer"`
	}
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if in.AuthMode != "" && in.AuthMode != connection.ModeApp && in.AuthMode != connection.ModeUser {
		return 0, nil, badRequest("INVALID_INPUT", "auth_mode must be user or app")
	}
	conn, err := a.Connections.Transfer(c.r.Context(), actor(c.user), id,
		connection.TransferTo{Owner: in.To, AppMode: in.AuthMode == connection.ModeApp, Maintainer: in.Maintainer})
	return http.StatusOK, NewConnectionView(conn), err
}

func (a *Admin) pause(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	conn, err := a.Connections.Pause(c.r.Context(), actor(c.user), id)
	return http.StatusOK, NewConnectionView(conn), err
}

func (a *Admin) resume(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	conn, err := a.Connections.Resume(c.r.Context(), actor(c.user), id)
	return http.StatusOK, NewConnectionView(conn), err
}

func (a *Admin) diagnose(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	d, err := a.Connections.Diagnose(c.r.Context(), id)
	return http.StatusOK, NewDiagnosisView(d), err
}

func (a *Admin) review(c adminCall) (int, any, error) {
	days := 90
	if v := c.r.URL.Query().Get("stale_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, badRequest("INVALID_INPUT", "stale_days must be a positive whole number")
		}
		days = n
	}
	rows, err := a.Connections.Review(c.r.Context(), time.Duration(days)*24*time.Hour)
	if err != nil {
		return 0, nil, err
	}
	interval, err := a.Connections.ReviewInterval(c.r.Context())
	return http.StatusOK, map[string]any{"stale_days": days, "review_interval_days": int(interval / (24 * time.Hour)),
		"results": NewReviewView(rows)}, err
}

func (a *Admin) setReviewInterval(c adminCall) (int, any, error) {
	var in struct {
		Days int `json:"days"`
	}
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if err := a.Connections.SetReviewInterval(c.r.Context(), actor(c.user), in.Days); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"review_interval_days": in.Days}, nil
}

func (a *Admin) markReviewed(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := decodeOptional(c.r, &in); err != nil {
		return 0, nil, err
	}
	r, err := a.Connections.MarkReviewed(c.r.Context(), actor(c.user), id, in.Note)
	return http.StatusOK, NewConnectionReviewView(r), err
}

func (a *Admin) attention(c adminCall) (int, any, error) {
	at, err := a.Connections.Attention(c.r.Context(), &c.user)
	return http.StatusOK, NewAttentionView(at), err
}

func (a *Admin) auditLog(c adminCall) (int, any, error) {
	q := c.r.URL.Query()
	aq := store.AuditQuery{TargetType: q.Get("target_type"), TargetID: q.Get("target_id"), Actor: q.Get("actor"),
		Action: q.Get("action"), Limit: 100}
	for name, dst := range map[string]*int64{"before": &aq.BeforeSeq} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, nil, badRequest("INVALID_INPUT", name+" must be a number")
			}
			*dst = n
		}
	}
	var err error
	if aq.Since, aq.Until, err = audit.ParseRange(q.Get("since"), q.Get("until"), time.Now()); err != nil {
		return 0, nil, err
	}
	if aq.Limit, err = queryLimit(c, aq.Limit, audit.MaxListLimit); err != nil {
		return 0, nil, err
	}
	events, err := a.Audit.List(c.r.Context(), aq)
	return http.StatusOK, map[string]any{"results": NewAuditViews(events)}, err
}

func (a *Admin) listWebhooks(c adminCall) (int, any, error) {
	hooks, err := a.Webhooks.List(c.r.Context())
	out := make([]WebhookView, len(hooks))
	for i, w := range hooks {
		out[i] = NewWebhookView(w, "")
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

// webhookJSON is the body that creates a webhook.
type webhookJSON struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

func (a *Admin) createWebhook(c adminCall) (int, any, error) {
	var in webhookJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	w, secret, err := a.Webhooks.Create(c.r.Context(), actor(c.user), in.URL, in.Events)
	return http.StatusCreated, NewWebhookView(w, secret), err
}

func (a *Admin) deleteWebhook(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.Webhooks.Delete(c.r.Context(), actor(c.user), id)
}

// offboard removes or deactivates a user, transferring their connections
// or, with force, letting them break.
func (a *Admin) offboard(status string) func(adminCall) (int, any, error) {
	return func(c adminCall) (int, any, error) {
		var in struct {
			TransferTo string `json:"transfer_to"`
			Force      bool   `json:"force"`
		}
		if err := decodeOptional(c.r, &in); err != nil {
			return 0, nil, err
		}
		if _, err := a.Identity.User(c.r.Context(), c.r.PathValue("user")); err != nil {
			return 0, nil, err
		}
		u, deps, err := a.Connections.Offboard(c.r.Context(), actor(c.user), a.Identity, connection.Offboarding{
			User: c.r.PathValue("user"), Status: status, TransferTo: in.TransferTo, Force: in.Force})
		return http.StatusOK, map[string]any{"user": NewUserView(u), "connections": NewDependentViews(deps)}, err
	}
}

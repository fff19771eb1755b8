package api

import (
	"net/http"
	"time"
)

func (a *Admin) privateAppRoutes(handle func(string, gate, func(adminCall) (int, any, error))) {
	handle("GET /api/v1/private-apps", manageIntegrations, a.listPrivateApps)
	handle("POST /api/v1/private-apps", manageIntegrations, a.createPrivateApp)
	handle("POST /api/v1/private-apps/{id}/rotate", manageIntegrations, a.rotatePrivateApp)
	handle("DELETE /api/v1/private-apps/{id}", manageIntegrations, a.deletePrivateApp)
}

func (a *Admin) listPrivateApps(c adminCall) (int, any, error) {
	apps, err := a.PrivateApps.List(c.r.Context())
	out := make([]PrivateAppView, len(apps))
	for i, p := range apps {
		out[i] = NewPrivateAppView(p)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

// privateAppTokenView is a private app with its token, in the one answer
// that made the token.
type privateAppTokenView struct {
	PrivateAppView
	Token string `json:"token"`
}

func (a *Admin) createPrivateApp(c adminCall) (int, any, error) {
	var in struct {
		Name   string   `json:"name"`
		Scopes []string `json:"scopes"`
	}
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	p, token, err := a.PrivateApps.Create(c.r.Context(), in.Name, in.Scopes, c.user.ID)
	return http.StatusCreated, privateAppTokenView{NewPrivateAppView(p), token}, err
}

// rotatePrivateApp issues a new token; {"grace": "24h"} keeps the old one
// working that long.
func (a *Admin) rotatePrivateApp(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Grace string `json:"grace"`
	}
	if err := decodeOptional(c.r, &in); err != nil {
		return 0, nil, err
	}
	var grace time.Duration
	if in.Grace != "" {
		if grace, err = time.ParseDuration(in.Grace); err != nil {
			return 0, nil, badRequest("INVALID_INPUT", "grace must be a duration such as 24h, not "+in.Grace)
		}
	}
	p, token, err := a.PrivateApps.Rotate(c.r.Context(), id, grace)
	return http.StatusOK, privateAppTokenView{NewPrivateAppView(p), token}, err
}

func (a *Admin) deletePrivateApp(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.PrivateApps.Delete(c.r.Context(), id)
}

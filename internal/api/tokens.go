package api

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/store"
)

// tokenRoutes registers the signed-in user's personal admin tokens.
func (a *Admin) tokenRoutes(handle func(string, gate, func(adminCall) (int, any, error))) {
	handle("GET /api/v1/tokens", anyUser, a.listTokens)
	handle("POST /api/v1/tokens", anyUser, a.createToken)
	handle("DELETE /api/v1/tokens/{id}", anyUser, a.revokeToken)
}

// anyUser lets every signed-in user through: what they may do is what their
// role allows, checked where it matters.
func anyUser(store.User, string) *apiError { return nil }

func (a *Admin) listTokens(c adminCall) (int, any, error) {
	tokens, err := a.AdminTokens.List(c.r.Context(), c.user.ID)
	out := make([]AdminTokenView, len(tokens))
	for i, t := range tokens {
		out[i] = NewAdminTokenView(t, "")
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

// createToken makes a token for the signed-in user. It takes a password
// sign-in: a token that could make tokens would outlive its own revocation.
func (a *Admin) createToken(c adminCall) (int, any, error) {
	if c.byToken {
		return 0, nil, forbidden("Admin tokens are made after signing in with a password (HTTP Basic or the browser), not with another token.")
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	v, token, err := a.AdminTokens.Create(c.r.Context(), actor(c.user), c.user.ID, in.Name)
	return http.StatusCreated, NewAdminTokenView(v, token), err
}

// revokeToken deletes one of the signed-in user's tokens.
func (a *Admin) revokeToken(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.AdminTokens.Revoke(c.r.Context(), actor(c.user), c.user.ID, id)
}

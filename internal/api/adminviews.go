package api

import (
	"time"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// The admin API's and the command line's views of the hub's objects: the
// same fields in both, never a hash or a stored secret.

// UserView is a user.
type UserView struct {
	ID                 int64             `json:"id"`
	Email              string            `json:"email"`
	Name               string            `json:"name,omitempty"`
	Role               string            `json:"role"`
	Status             string            `json:"status"`
	Permissions        map[string]string `json:"permissions"`
	IntegrationsManage bool              `json:"integrationsManage"`
	CreatedAt          time.Time         `json:"createdAt"`
	UpdatedAt          time.Time         `json:"updatedAt"`
}

// NewUserView shows a user's grants as their role gives them.
func NewUserView(u store.User) UserView {
	perms := map[string]string{}
	granted := u
	granted.Status = identity.StatusActive
	for _, o := range identity.Objects {
		perms[o] = identity.Access(granted, o)
	}
	return UserView{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Status: u.Status, Permissions: perms,
		IntegrationsManage: identity.CanManageIntegrations(granted), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// AppView is an OAuth app. ClientSecret is set only in the answer that
// made the secret.
type AppView struct {
	ID              int64      `json:"id"`
	ClientID        string     `json:"client_id"`
	ClientSecret    string     `json:"client_secret,omitempty"`
	Name            string     `json:"name"`
	RedirectURIs    []string   `json:"redirect_uris"`
	Scopes          []string   `json:"scopes"`
	OptionalScopes  []string   `json:"optional_scopes"`
	Public          bool       `json:"public"`
	CreatedAt       time.Time  `json:"created_at"`
	SecretRotatedAt *time.Time `json:"secret_rotated_at,omitempty"`
	// The refresh-token policy; a lifetime is absent when there is none.
	RefreshTokenRotation    bool   `json:"refresh_token_rotation"`
	RefreshTokenIdleTTL     string `json:"refresh_token_idle_ttl,omitempty"`
	RefreshTokenAbsoluteTTL string `json:"refresh_token_absolute_ttl,omitempty"`
}

// NewAppView shows an app, with its secret when one was just made.
func NewAppView(p store.App, secret string) AppView {
	return AppView{ID: p.ID, ClientID: p.ClientID, ClientSecret: secret, Name: p.Name, RedirectURIs: p.RedirectURIs,
		Scopes: p.Scopes, OptionalScopes: nonNil(p.OptionalScopes), Public: p.Public, CreatedAt: p.CreatedAt, SecretRotatedAt: optTime(p.SecretRotatedAt),
		RefreshTokenRotation: p.RefreshTokenRotation, RefreshTokenIdleTTL: oauth.FormatLifetime(p.RefreshTokenIdleTTL),
		RefreshTokenAbsoluteTTL: oauth.FormatLifetime(p.RefreshTokenAbsoluteTTL)}
}

// GrantView is a grant: app, authorizing user, scopes, created, last used
// and whether it still works.
type GrantView struct {
	ID         string     `json:"id"`
	AppID      int64      `json:"app_id"`
	App        string     `json:"app"`
	UserID     int64      `json:"user_id"`
	User       string     `json:"user"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Active     bool       `json:"active"`
	Ended      string     `json:"ended,omitempty"`
}

// NewGrantView shows a grant.
func NewGrantView(v oauth.GrantView) GrantView {
	return GrantView{ID: v.ID, AppID: v.AppID, App: v.App.Name, UserID: v.UserID, User: v.User.Email, Scopes: v.Scopes,
		CreatedAt: v.CreatedAt, LastUsedAt: optTime(v.LastUsedAt), Active: v.Active, Ended: v.Ended}
}

// NewGrantViews shows grants, as an empty list rather than null.
func NewGrantViews(vs []oauth.GrantView) []GrantView {
	out := make([]GrantView, len(vs))
	for i, v := range vs {
		out[i] = NewGrantView(v)
	}
	return out
}

// PrivateAppView is a private app, never its token.
type PrivateAppView struct {
	ID              int64      `json:"id"`
	Name            string     `json:"name"`
	Scopes          []string   `json:"scopes"`
	CreatedAt       time.Time  `json:"createdAt"`
	RotatedAt       *time.Time `json:"rotatedAt,omitempty"`
	PreviousValidTo *time.Time `json:"previousTokenValidUntil,omitempty"`
	LastUsedAt      *time.Time `json:"lastUsedAt,omitempty"`
}

// NewPrivateAppView shows a private app.
func NewPrivateAppView(p store.PrivateApp) PrivateAppView {
	return PrivateAppView{ID: p.ID, Name: p.Name, Scopes: p.Scopes, CreatedAt: p.CreatedAt,
		RotatedAt: optTime(p.RotatedAt), PreviousValidTo: optTime(p.PreviousExpiresAt), LastUsedAt: optTime(p.LastUsedAt)}
}

// ImpactView is what removing a user would break.
type ImpactView struct {
	User        UserView        `json:"user"`
	Grants      []GrantView     `json:"grants"`
	Connections []DependentView `json:"connections"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// AdminTokenView is a personal admin token. Token is set only in the answer
// that made it.
type AdminTokenView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Token      string     `json:"token,omitempty"`
	UserID     int64      `json:"user_id"`
	User       string     `json:"user"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Active     bool       `json:"active"`
	Ended      string     `json:"ended,omitempty"`
}

// NewAdminTokenView shows a token, with the token itself when one was just made.
func NewAdminTokenView(v oauth.AdminTokenView, token string) AdminTokenView {
	return AdminTokenView{ID: v.ID, Name: v.Name, Token: token, UserID: v.UserID, User: v.User.Email, CreatedAt: v.CreatedAt,
		LastUsedAt: optTime(v.LastUsedAt), Active: v.Active, Ended: v.Ended}
}

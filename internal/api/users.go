package api

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

func (a *Admin) userRoutes(handle func(string, gate, func(adminCall) (int, any, error))) {
	handle("GET /api/v1/users", userAdmin, a.listUsers)
	handle("POST /api/v1/users", userAdmin, a.createUser)
	handle("PATCH /api/v1/users/{user}", userAdmin, a.updateUser)
	handle("POST /api/v1/users/{user}/reactivate", userAdmin, a.reactivateUser)
}

func (a *Admin) listUsers(c adminCall) (int, any, error) {
	users, err := a.Identity.Users(c.r.Context())
	out := make([]UserView, len(users))
	for i, u := range users {
		out[i] = NewUserView(u)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

type userInputJSON struct {
	Email              string            `json:"email"`
	Name               *string           `json:"name"`
	Role               *string           `json:"role"`
	Password           *string           `json:"password"`
	Permissions        map[string]string `json:"permissions"`
	IntegrationsManage *bool             `json:"integrations_manage"`
	// DryRun makes an update say what it would do and save nothing.
	DryRun bool `json:"dry_run"`
}

func (a *Admin) createUser(c adminCall) (int, any, error) {
	var in userInputJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	n := identity.NewUser{Email: in.Email, Permissions: in.Permissions, IntegrationsManage: in.IntegrationsManage}
	if in.Name != nil {
		n.Name = *in.Name
	}
	if in.Role != nil {
		n.Role = *in.Role
	}
	if in.Password != nil {
		n.Password = *in.Password
	}
	if err := connection.UserChangeRefusal(c.user, store.User{}, store.User{Role: n.Role}); err != nil {
		return 0, nil, err
	}
	u, err := a.Identity.CreateUser(c.r.Context(), n)
	return http.StatusCreated, NewUserView(u), err
}

// UserChangeView is what a change of a user does (or, in a dry run, would
// do): the user as changed, what they lose and the connections it breaks.
type UserChangeView struct {
	User     UserView          `json:"user"`
	Reduced  []string          `json:"reduced"`
	Degraded []DegradationView `json:"degraded"`
	DryRun   bool              `json:"dry_run"`
}

// DegradationView is a connection a change of its user breaks.
type DegradationView struct {
	Connection ConnectionView `json:"connection"`
	Role       string         `json:"role"`
	Status     string         `json:"status"`
	Reason     string         `json:"reason"`
	Sentence   string         `json:"sentence"`
	NextStep   string         `json:"next_step"`
}

// NewUserChangeView shows a preview of a user change.
func NewUserChangeView(p connection.UserChangePreview, dryRun bool) UserChangeView {
	out := UserChangeView{User: NewUserView(p.Updated), Reduced: nonNil(p.Reduced), Degraded: make([]DegradationView, len(p.Degraded)), DryRun: dryRun}
	for i, d := range p.Degraded {
		out.Degraded[i] = DegradationView{Connection: NewConnectionView(d.Connection), Role: d.Role, Status: d.Status,
			Reason: d.Reason, Sentence: d.Sentence, NextStep: d.NextStep}
	}
	return out
}

// updateUser changes the fields the body names; with dry_run it only says
// which connections the change would break.
func (a *Admin) updateUser(c adminCall) (int, any, error) {
	var in userInputJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	ch := identity.UserChanges{Name: in.Name, Role: in.Role, Permissions: in.Permissions, IntegrationsManage: in.IntegrationsManage, Password: in.Password}
	p, err := a.Connections.PreviewUserChange(c.r.Context(), c.r.PathValue("user"), ch)
	if err != nil {
		return 0, nil, err
	}
	if err := connection.UserChangeRefusal(c.user, p.User, p.Updated); err != nil {
		return 0, nil, err
	}
	if in.DryRun {
		return http.StatusOK, NewUserChangeView(p, true), nil
	}
	if p.Updated, err = a.Identity.UpdateUser(c.r.Context(), c.r.PathValue("user"), ch); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, NewUserChangeView(p, false), nil
}

// reactivateUser restores a deactivated user; the connections they run
// come back as their state allows.
func (a *Admin) reactivateUser(c adminCall) (int, any, error) {
	u, err := a.Identity.User(c.r.Context(), c.r.PathValue("user"))
	if err != nil {
		return 0, nil, err
	}
	back := u
	back.Status = identity.StatusActive
	if err := connection.UserChangeRefusal(c.user, u, back); err != nil {
		return 0, nil, err
	}
	u, err = a.Identity.Reactivate(c.r.Context(), c.r.PathValue("user"))
	return http.StatusOK, NewUserView(u), err
}

package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// appsPage is the apps connected to this hub: for those who manage them,
// every OAuth app with the grants users gave it and the private apps; for
// everyone else, the grants they gave themselves.
type appsPage struct {
	Apps []appGrants
	// Mine are the signed-in person's own grants (the whole page of a
	// member).
	Mine        []oauth.GrantView
	PrivateApps []privateAppRow
	// Token is a private app token just made, shown this once.
	Token *shownToken
	// Scopes are the choices of the new private app form.
	Scopes []string
	Graces []rotationGrace
	// Form is the new private app form as sent, shown again with Error.
	Form  privateAppForm
	Error string
}

// privateAppForm is the new private app form.
type privateAppForm struct {
	Name   string
	Scopes []string
}

// Has says whether the form chose scope s.
func (f privateAppForm) Has(s string) bool { return slices.Contains(f.Scopes, s) }

// appGrants is an OAuth app and the grants users gave it.
type appGrants struct {
	App    store.App
	Grants []oauth.GrantView
}

// privateAppRow is a private app and who created it.
type privateAppRow struct {
	App     store.PrivateApp
	Creator string
}

// shownToken is a private app's token right after it was made.
type shownToken struct {
	App     store.PrivateApp
	Token   string
	Rotated bool
}

// rotationGrace is a choice of how long a rotated token keeps working.
type rotationGrace struct {
	Value, Label string
}

var rotationGraces = []rotationGrace{{"0", "stops at once"}, {"1h", "works 1 more hour"}, {"24h", "works 24 more hours"}}

func (c *Console) appList(v *visit) error {
	p, err := c.appsPage(v.r.Context(), v)
	if err != nil {
		return err
	}
	return c.showApps(v, http.StatusOK, p)
}

func (c *Console) showApps(v *visit, status int, p appsPage) error {
	return c.show(v, status, "apps", "Apps connected to this hub", "apps", p)
}

func (c *Console) appsPage(ctx context.Context, v *visit) (appsPage, error) {
	p := appsPage{Scopes: oauth.Scopes, Graces: rotationGraces}
	var err error
	if p.Mine, err = c.Grants.List(ctx, v.user.ID, 0); err != nil || !v.can().Manage {
		return p, err
	}
	apps, err := c.Apps.List(ctx)
	if err != nil {
		return p, err
	}
	for _, a := range apps {
		g, err := c.Grants.List(ctx, 0, a.ID)
		if err != nil {
			return p, err
		}
		p.Apps = append(p.Apps, appGrants{App: a, Grants: g})
	}
	private, err := c.PrivateApps.List(ctx)
	if err != nil {
		return p, err
	}
	users, err := c.Identity.Users(ctx)
	if err != nil {
		return p, err
	}
	email := map[int64]string{}
	for _, u := range users {
		email[u.ID] = u.Email
	}
	for _, a := range private {
		creator := email[a.CreatedBy]
		if a.CreatedBy == 0 {
			creator = "the command line"
		}
		p.PrivateApps = append(p.PrivateApps, privateAppRow{App: a, Creator: creator})
	}
	return p, nil
}

// appFormError is an error of the private app forms the person can fix
// on the page: a missing name, an unknown scope, a bad grace.
func appFormError(err error) bool {
	return errors.Is(err, oauth.ErrInvalid) || errors.Is(err, oauth.ErrInvalidScope)
}

// rotationGraceOf reads a rotation's grace period.
func rotationGraceOf(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, oauth.ErrInvalid
	}
	return d, nil
}

// grantTable is what the app-grants template gets: the page (for the form
// token), the grants and whether to offer revoking them.
type grantTable struct {
	Page   Page
	Grants []oauth.GrantView
	Manage bool
}

func init() {
	funcs["appGrantsOf"] = func(p Page, grants []oauth.GrantView, manage bool) grantTable {
		return grantTable{Page: p, Grants: grants, Manage: manage && p.Can.Manage}
	}
}

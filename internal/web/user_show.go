package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// userImpact is everything a user is responsible for: what removing or
// deactivating them would touch. The admin API's user impact is the same
// three lists.
type userImpact struct {
	Row         userRow
	Connections []connection.Dependent
	Grants      []oauth.GrantView
	PrivateApps []store.PrivateApp
	// MayOffboard and MayEdit: the signed-in person may remove or
	// deactivate this user, and change their permissions.
	MayOffboard, MayEdit bool
}

// Empty reports whether the user is responsible for nothing.
func (i userImpact) Empty() bool {
	return len(i.Connections) == 0 && len(i.Grants) == 0 && len(i.PrivateApps) == 0
}

// pathUser is the user the route's {id} names.
func (c *Console) pathUser(v *visit) (store.User, error) {
	id, err := v.pathID("id")
	if err != nil {
		return store.User{}, err
	}
	return c.Identity.User(v.r.Context(), strconv.FormatInt(id, 10))
}

func (c *Console) impactOf(ctx context.Context, v *visit, u store.User) (userImpact, error) {
	imp := userImpact{Row: newUserRow(u)}
	var err error
	if imp.Connections, err = c.Connections.Dependents(ctx, u.ID); err != nil {
		return imp, err
	}
	if imp.Grants, err = c.Grants.Impact(ctx, u.ID); err != nil {
		return imp, err
	}
	if imp.PrivateApps, err = c.PrivateApps.MadeBy(ctx, u.ID); err != nil {
		return imp, err
	}
	live := u.Status != identity.StatusRemoved
	imp.MayOffboard = live && identity.MayOffboard(v.user, u)
	imp.MayEdit = live && identity.MayUpdate(v.user, u, u)
	return imp, nil
}

func (c *Console) userShow(v *visit) error {
	u, err := c.pathUser(v)
	if err != nil {
		return err
	}
	imp, err := c.impactOf(v.r.Context(), v, u)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "user", u.Email, "users", imp)
}

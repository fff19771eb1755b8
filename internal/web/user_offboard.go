package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// offboarding is removing or deactivating a user, as its pages name it.
type offboarding struct {
	Status string
	Verb   string // the path's last segment: remove, deactivate
	Title  string // Remove, Deactivate
	Done   string // removed, deactivated
}

var (
	offboardRemove     = offboarding{identity.StatusRemoved, "remove", "Remove", "removed"}
	offboardDeactivate = offboarding{identity.StatusDeactivated, "deactivate", "Deactivate", "deactivated"}
)

// offboardPage is the confirmation page: the impact, the users who may take
// over, and what went wrong on the last try.
type offboardPage struct {
	Kind   offboarding
	Impact userImpact
	// Candidates are the active users who may take over the connections.
	Candidates []store.User
	TransferTo string
	Error      string
}

func (c *Console) offboardPage(v *visit, kind offboarding) (offboardPage, error) {
	u, err := c.pathUser(v)
	if err != nil {
		return offboardPage{}, err
	}
	p := offboardPage{Kind: kind}
	if p.Impact, err = c.impactOf(v.r.Context(), v, u); err != nil {
		return p, err
	}
	users, err := c.Identity.Users(v.r.Context())
	if err != nil {
		return p, err
	}
	for _, o := range users {
		if o.ID != u.ID && o.Status == identity.StatusActive {
			p.Candidates = append(p.Candidates, o)
		}
	}
	return p, nil
}

// userOffboardForm shows what removing (or deactivating) the user would
// touch and asks who takes over, or for the user's email to force it.
func (c *Console) userOffboardForm(kind offboarding) func(*visit) error {
	return func(v *visit) error {
		p, err := c.offboardPage(v, kind)
		if err != nil {
			return err
		}
		if u := p.Impact.Row.User; u.Status == identity.StatusRemoved {
			return fmt.Errorf("%w: %s has been removed already", identity.ErrInvalid, u.Email)
		} else if err := connection.OffboardRefusal(v.user, u); err != nil {
			return err
		}
		return c.showOffboard(v, http.StatusOK, p)
	}
}

func (c *Console) showOffboard(v *visit, status int, p offboardPage) error {
	return c.show(v, status, "user_offboard", p.Kind.Title+" "+p.Impact.Row.User.Email, "users", p)
}

// userOffboard removes or deactivates the user as the API's remove and
// deactivate routes do: their connections move to the chosen user in the
// same transaction, or, forced, break and say why.
func (c *Console) userOffboard(kind offboarding) func(*visit) error {
	return func(v *visit) error {
		p, err := c.offboardPage(v, kind)
		if err != nil {
			return err
		}
		u := p.Impact.Row.User
		o := connection.Offboarding{User: strconv.FormatInt(u.ID, 10), Status: kind.Status,
			TransferTo: v.r.PostFormValue("transfer_to")}
		p.TransferTo = o.TransferTo
		typed := strings.TrimSpace(v.r.PostFormValue("confirm_email"))
		if o.TransferTo == "" && len(p.Impact.Connections) > 0 {
			if !strings.EqualFold(typed, u.Email) {
				p.Error = "Choose a user to take over " + u.Email + "'s connections, or type " + u.Email + " to " + kind.Verb + " them anyway and let the connections break."
				return c.showOffboard(v, http.StatusBadRequest, p)
			}
			o.Force = true
		}
		_, deps, err := c.Connections.Offboard(v.r.Context(), v.actor(), c.Identity, o)
		if status, refused := offboardRefusal(err); refused {
			p.Error = asSentence(err)
			return c.showOffboard(v, status, p)
		}
		if err != nil {
			return err
		}
		notice := fmt.Sprintf("%s is %s.", u.Email, kind.Done)
		if len(deps) > 0 && o.TransferTo != "" {
			notice += fmt.Sprintf(" %d connection(s) now belong to %s.", len(deps), p.transferee())
		} else if len(deps) > 0 {
			notice += fmt.Sprintf(" %d connection(s) no longer have their user; the home page lists them.", len(deps))
		}
		return v.redirect("/users?notice=" + url.QueryEscape(notice))
	}
}

// transferee is the email of the chosen user.
func (p offboardPage) transferee() string {
	for _, u := range p.Candidates {
		if strconv.FormatInt(u.ID, 10) == p.TransferTo || strings.EqualFold(u.Email, p.TransferTo) {
			return u.Email
		}
	}
	return p.TransferTo
}

// offboardRefusal is the status of an offboarding the domain refused for a
// reason the person can fix on the same page.
func offboardRefusal(err error) (int, bool) {
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, connection.ErrForbidden):
		return http.StatusForbidden, true
	case errors.Is(err, connection.ErrHasDependents), errors.Is(err, identity.ErrLastSuperAdmin), errors.Is(err, identity.ErrUserRemoved):
		return http.StatusConflict, true
	case errors.Is(err, connection.ErrInvalid), errors.Is(err, connection.ErrPreflight), errors.Is(err, identity.ErrInvalid):
		return http.StatusBadRequest, true
	}
	return 0, false
}

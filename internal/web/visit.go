package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// visit is one request from a signed-in person.
type visit struct {
	w       http.ResponseWriter
	r       *http.Request
	user    store.User
	session store.WebSession
	// sign signs a notice for this person (Console.noticeSig).
	sign func(notice string) string
}

// actor is the person as the audit log records them.
func (v *visit) actor() audit.Actor { return audit.Actor{ID: v.user.ID, Label: v.user.Email} }

// can is what the signed-in person may do, so pages offer only that.
func (v *visit) can() Abilities { return abilitiesOf(v.user) }

// pathID reads a numeric id of the route's path.
func (v *visit) pathID(name string) (int64, error) {
	id, err := strconv.ParseInt(v.r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// redirect sends the browser to another page after a change (post,
// redirect, get), so reloading does not repeat the change. An htmx request
// is told to navigate (HX-Redirect): followed by htmx itself, the redirect
// would swap the whole next page into the element that asked.
func (v *visit) redirect(to string) error {
	to = v.signNotice(to)
	if v.r.Header.Get("HX-Request") == "true" {
		v.w.Header().Set("HX-Redirect", to)
		v.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(v.w, v.r, to, http.StatusSeeOther)
	return nil
}

// Abilities are what a person may do in the console. They come from the
// identity package's rules, which the admin API applies too.
type Abilities struct {
	// ViewAll: every connection, the review and the audit log.
	ViewAll bool
	// Manage: change integrations, connections, apps and webhooks.
	Manage bool
	// ManageUsers: add, change, deactivate and remove users.
	ManageUsers bool
}

func abilitiesOf(u store.User) Abilities {
	return Abilities{ViewAll: identity.CanViewIntegrations(u), Manage: identity.CanManageIntegrations(u),
		ManageUsers: identity.CanManageUsers(u)}
}

// access is who may open a route.
type access func(Abilities) bool

var (
	signedIn            access = func(Abilities) bool { return true }
	viewsIntegrations   access = func(a Abilities) bool { return a.ViewAll }
	managesIntegrations access = func(a Abilities) bool { return a.Manage }
	managesUsers        access = func(a Abilities) bool { return a.ManageUsers }
)

// router registers console routes behind sign-in, access and, for changes,
// the cross-origin check and the session's form token.
type router struct {
	c     *Console
	mux   Mux
	forms *http.CrossOriginProtection
}

// get registers a page.
func (rt *router) get(pattern string, who access, h func(*visit) error) {
	rt.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.c.serve(w, r, who, false, h)
	}))
}

// post registers a change. It needs the session's form token, in the form
// (field csrf) or, from htmx, in the X-CSRF-Token header.
func (rt *router) post(pattern string, who access, h func(*visit) error) {
	rt.mux.Handle(pattern, rt.forms.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		rt.c.serve(w, r, who, true, h)
	})))
}

func (c *Console) serve(w http.ResponseWriter, r *http.Request, who access, change bool, h func(*visit) error) {
	u, ws, ok := c.sessions.Current(r)
	if !ok {
		c.signInFirst(w, r)
		return
	}
	v := &visit{w: w, r: r, user: u, session: ws, sign: func(notice string) string { return c.noticeSig(u, notice) }}
	if change && !SameToken(formToken(r), ws.CSRF) {
		c.errorPage(v, http.StatusForbidden, ErrorPage{Title: "Request refused",
			Message: "This form was not sent from this hub's own page (its form token is missing or wrong), so nothing was changed.",
			Hint:    "Open the page again and submit it from there."})
		return
	}
	if !who(v.can()) {
		c.errorPage(v, http.StatusForbidden, ErrorPage{Title: "Not allowed",
			Message: u.Email + " may not do this: it needs " + needs(who) + ".",
			Hint:    "Ask an admin of this hub."})
		return
	}
	if err := h(v); err != nil {
		c.fail(v, err)
	}
}

// signInFirst sends a signed-out browser to sign in and come back. An htmx
// request (a live part of a page whose session ended) reloads the page,
// which then does the same.
func (c *Console) signInFirst(w http.ResponseWriter, r *http.Request) {
	back := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		back = "/"
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", SignInURL(r.Header.Get("HX-Current-URL")))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, SignInURL(back), http.StatusSeeOther)
}

func formToken(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

func needs(who access) string {
	switch {
	case who(Abilities{ManageUsers: true}) && !who(Abilities{}):
		return "an admin"
	case who(Abilities{Manage: true}) && !who(Abilities{}):
		return "the integrations.manage permission"
	default:
		return "an admin or the integrations.manage permission"
	}
}

// fail shows a domain error as a page with its status: the error's own
// sentence, which the domain wrote for people.
func (c *Console) fail(v *visit, err error) {
	status, title := http.StatusInternalServerError, "Something went wrong"
	msg := "The hub could not do this. Try again; if it keeps failing, the hub's log says why."
	switch {
	case errors.Is(err, store.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Not found", "There is no such page or it was deleted."
	case errors.Is(err, connection.ErrInvalid), errors.Is(err, identity.ErrInvalid), errors.Is(err, oauth.ErrInvalid),
		errors.Is(err, audit.ErrInvalid), errors.Is(err, store.ErrAlreadyExists):
		status, title, msg = http.StatusBadRequest, "That did not work", asSentence(err)
	case errors.Is(err, connection.ErrPreflight), errors.Is(err, connection.ErrHeld), errors.Is(err, connection.ErrHasDependents):
		status, title, msg = http.StatusConflict, "That did not work", asSentence(err)
	case errors.Is(err, connection.ErrForbidden):
		status, title, msg = http.StatusForbidden, "Not allowed", asSentence(err)
	default:
		c.log.Error("console page failed", "route", v.r.Pattern, "error", err.Error())
	}
	c.errorPage(v, status, ErrorPage{Title: title, Message: msg})
}

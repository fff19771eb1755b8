package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// newConnForm is the wizard's choices so far; each step carries the
// earlier ones along in hidden fields (or the query), so it works without
// JavaScript and nothing is saved before the last step.
type newConnForm struct {
	Integration, Name, Mode, Owner string
	Objects                        []string
	// Accept: the person saw the advice about the chosen connector user
	// and connects as them anyway.
	Accept bool
}

func readNewConnForm(q url.Values) newConnForm {
	f := newConnForm{Integration: q.Get("integration"), Name: strings.TrimSpace(q.Get("name")), Mode: q.Get("mode"),
		Owner: q.Get("owner"), Accept: q.Get("accept") == "on"}
	for _, o := range q["objects"] {
		if !slices.Contains(f.Objects, o) {
			f.Objects = append(f.Objects, o)
		}
	}
	if f.Mode == "" {
		f.Mode = connection.ModeUser
	}
	return f
}

// URL is the address of a wizard step ("" for the first) with the choices
// made so far.
func (f newConnForm) URL(step string) string { return "/connections/new?" + f.query(step) }

func (f newConnForm) query(step string) string {
	q := url.Values{"integration": {f.Integration}, "name": {f.Name}, "mode": {f.Mode}, "objects": f.Objects}
	if f.Owner != "" {
		q.Set("owner", f.Owner)
	}
	if step != "" {
		q.Set("step", step)
	}
	return q.Encode()
}

// Has reports whether the form chose object o (all by default).
func (f newConnForm) Has(o string) bool { return len(f.Objects) == 0 || slices.Contains(f.Objects, o) }

// newConnPage is what each step of the wizard shows.
type newConnPage struct {
	Step         int
	Form         newConnForm
	Integrations []store.Integration
	Objects      []string
	// Integration is the chosen one (step 2).
	Integration store.Integration
	// CredentialName is what a non-OAuth integration takes; "" for OAuth.
	CredentialName string
	// Choices are the users who may connect, with the advice about each,
	// the recommended one first (user mode).
	Choices []connection.ConnectorChoice
	// Advice is about the chosen connector user, shown before connecting
	// as them.
	Advice  []connection.Advice
	Problem string
}

// OAuth reports whether the chosen integration connects through consent.
func (p newConnPage) OAuth() bool { return p.Integration.AuthKind == connection.AuthOAuth2 }

// connectionNew shows step 1 or, when its choices hold, step 2.
func (c *Console) connectionNew(v *visit) error {
	q := v.r.URL.Query()
	f := readNewConnForm(q)
	if q.Get("step") == "2" {
		return c.newConnStep2(v, f, "", http.StatusOK)
	}
	return c.newConnStep1(v, f, "", http.StatusOK)
}

func (c *Console) newConnStep1(v *visit, f newConnForm, problem string, status int) error {
	ins, err := c.Connections.Integrations(v.r.Context())
	if err != nil {
		return err
	}
	if f.Integration == "" && len(ins) > 0 {
		f.Integration = ins[0].Name
	}
	return c.show(v, status, "connection_new", "New connection", "connections",
		newConnPage{Step: 1, Form: f, Integrations: ins, Objects: identity.Objects, Problem: problem})
}

// newConnStep2 shows the connector step; a wrong step-1 choice goes back
// there with why.
func (c *Console) newConnStep2(v *visit, f newConnForm, problem string, status int) error {
	ctx := v.r.Context()
	in, err := c.Connections.Integration(ctx, f.Integration)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c.newConnStep1(v, f, "Choose one of the integrations below.", http.StatusUnprocessableEntity)
	case err != nil:
		return err
	case f.Name == "":
		return c.newConnStep1(v, f, "Give the connection a name people will recognise.", http.StatusUnprocessableEntity)
	case f.Mode != connection.ModeUser && f.Mode != connection.ModeApp:
		return c.newConnStep1(v, f, "Choose how the connection signs in.", http.StatusUnprocessableEntity)
	}
	p := newConnPage{Step: 2, Form: f, Integration: in, Objects: identity.Objects, Problem: problem,
		CredentialName: connection.CredentialName(in.AuthKind)}
	if p.Choices, err = c.Connections.ConnectorChoices(ctx, f.Objects); err != nil {
		return err
	}
	if p.Form.Owner == "" {
		p.Form.Owner = recommended(p.Choices, v.user.Email)
	}
	if f.Owner != "" && f.Mode == connection.ModeUser {
		if p.Advice, err = c.ownerAdvice(ctx, f); err != nil {
			return err
		}
	}
	return c.show(v, status, "connection_new", "New connection · connector", "connections", p)
}

// recommended is the email of the recommended connector user, else the
// person's own.
func recommended(choices []connection.ConnectorChoice, fallback string) string {
	for _, ch := range choices {
		if ch.Recommended {
			return ch.User.Email
		}
	}
	return fallback
}

// ownerAdvice is the advice about the chosen connector user.
func (c *Console) ownerAdvice(ctx context.Context, f newConnForm) ([]connection.Advice, error) {
	u, err := c.Identity.User(ctx, f.Owner)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // the create says so
	}
	if err != nil {
		return nil, err
	}
	return c.Connections.ConnectorAdvice(ctx, u.ID, f.Objects)
}

func isPreflight(err error) bool { return errors.Is(err, connection.ErrPreflight) }

func init() {
	// How an integration signs in, in words: OAuth, or what it takes.
	funcs["wizardAuthKind"] = func(kind string) string {
		if kind == connection.AuthOAuth2 {
			return "OAuth"
		}
		return connection.CredentialName(kind)
	}
}

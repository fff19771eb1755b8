package webtest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// Pair is two hubs: Acme, playing the external app, and Ours, whose console
// the tests drive, with Acme registered on Ours as an OAuth integration.
type Pair struct {
	Acme, Ours *hubtest.Env
	// Integration is Ours's registration of Acme.
	Integration store.Integration
	// Approver is the Acme user who approves Ours's connections.
	Approver string
	// Admin is Ours's first admin (admin@example.com, password AdminPassword).
	Admin audit.Actor
	// Connector is an Ours admin who may edit every object, Second another,
	// and Member a member without integrations.manage.
	Connector, Second, Member store.User
}

// AdminPassword is the password of admin@example.com on both hubs.
const AdminPassword = "correct horse"

// EditAll lets a user edit every object.
var EditAll = map[string]string{"contacts": "edit", "companies": "edit", "deals": "edit"}

// NewPair opens both hubs, Ours on backend, and starts Ours's background
// work (runs, health checks), so statuses change as they would in a server.
func NewPair(t testing.TB, backend hubtest.Backend) *Pair {
	t.Helper()
	ctx := context.Background()
	p := &Pair{Approver: "approver@acme.example"}
	p.Acme = hubtest.New(t, hubtest.SQLite)
	p.Acme.User(t, p.Approver, identity.RoleAdmin, nil)
	p.Ours = hubtest.Open(t, hubtest.Config(t, backend), hub.WithConnections(connection.WithTuning(connection.Tuning{
		RefreshAhead: time.Minute, RefreshLease: 30 * time.Second, CheckEvery: time.Minute, UnreachableAfter: 3,
		MaxBackoff: 5 * time.Second, AttemptTTL: 15 * time.Minute})))
	p.Connector = p.Ours.User(t, "connector@ours.example", identity.RoleAdmin, EditAll)
	p.Second = p.Ours.User(t, "second@ours.example", identity.RoleAdmin, EditAll)
	p.Member = p.Ours.User(t, "member@ours.example", identity.RoleMember, EditAll)
	admin, err := p.Ours.Hub.Identity.User(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	p.Admin = audit.Actor{ID: admin.ID, Label: admin.Email}
	app, secret := p.Acme.App(t, oauth.AppInput{Name: "Our hub", RedirectURIs: []string{p.Ours.URL + hub.CallbackPath},
		Scopes: hubtest.AllScopes})
	p.Integration, err = p.Ours.Hub.Connections.CreateIntegration(ctx, p.Admin, connection.NewIntegration{
		Name: "acme", Provider: "hubspot", AuthKind: connection.AuthOAuth2, Secret: secret,
		Settings: connection.ProviderSettings("hubspot", p.Acme.URL, map[string]string{
			"client_id": app.ClientID, "scopes": strings.Join(hubtest.AllScopes, " ")}),
	})
	if err != nil {
		t.Fatalf("create integration: %v", err)
	}
	bg, stop := context.WithCancel(ctx)
	done := p.Ours.Hub.Background(bg)
	t.Cleanup(func() { stop(); <-done })
	return p
}

// Connect makes a connection of Ours to Acme with n's settings (the
// integration is Acme's), approved on Acme's consent page by the approver
// over plain HTTP, and returns it.
func (p *Pair) Connect(t testing.TB, n connection.NewConnection) store.Connection {
	t.Helper()
	ctx := context.Background()
	n.Integration = p.Integration.Name
	if n.Name == "" {
		n.Name = "Acme CRM"
	}
	started, err := p.Ours.Hub.Connections.Create(ctx, p.Admin, n)
	if err != nil {
		t.Fatalf("create connection: %v", err)
	}
	browser := p.Acme.Browser()
	back := browser.Consent(t, started.AuthorizeURL, p.Approver)
	if status, _, page := browser.Page(t, http.MethodGet, back.String(), nil); status >= 400 {
		t.Fatalf("callback: %d\n%s", status, page)
	}
	c, err := p.Ours.Hub.Connections.Get(ctx, started.Connection.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

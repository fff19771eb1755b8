package demo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/jobs"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

const (
	// signInsFile keeps the people's generated passwords, so a later run
	// can print them again.
	signInsFile = "sign-ins.json"
	// stageFile is written once the stage is set; without it the data
	// directory holds a setup that did not finish.
	stageFile = "stage.json"
	// integrationName is our hub's registration of Acme.
	integrationName = "acme"
	// ConnectionName is our hub's connection to Acme.
	ConnectionName = "Acme CRM"
	// editorName is the private app each side's CRM API is edited with.
	editorName = "Demo record editor"
)

// objects are what the connection syncs, both ways.
var objects = []string{"contacts", "companies", "deals"}

// editAll lets a user edit every object.
var editAll = map[string]string{"contacts": "edit", "companies": "edit", "deals": "edit"}

// person is someone who signs in to one of the hubs.
type person struct {
	Side     string `json:"side"` // "acme" or "ours"
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
	// Part is what the person does in the story.
	Part string `json:"part"`
}

type signIns []person

func (s signIns) password(email string) string {
	for _, p := range s {
		if p.Email == email {
			return p.Password
		}
	}
	return ""
}

// stage is what the stage file records.
type stage struct {
	ConnectionID int64 `json:"connection_id"`
}

// The people of the story.
func (d *Demo) acmeAdmin() string { return d.Acme.email("admin") }
func (d *Demo) oursAdmin() string { return d.Ours.email("admin") }

// Connector is the admin the connection runs as, who leaves.
func (d *Demo) Connector() string { return d.Ours.email("connector") }

// Second is the admin who reconnects.
func (d *Demo) Second() string { return d.Ours.email("second") }
func (d *Demo) member() string { return d.Ours.email("member") }

func (d *Demo) setStage(ctx context.Context, records int) error {
	data, err := os.ReadFile(filepath.Join(d.dir, stageFile))
	switch {
	case err == nil:
		d.Reused = true
		return d.reuse(ctx, data)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if fresh, err := d.fresh(ctx); err != nil {
		return err
	} else if !fresh {
		return fmt.Errorf("%s holds a demo whose setup did not finish; start over with --reset", d.dir)
	}
	return d.build(ctx, records)
}

// fresh reports whether neither hub has been set up yet.
func (d *Demo) fresh(ctx context.Context) (bool, error) {
	for _, s := range []*Side{d.Acme, d.Ours} {
		if done, err := s.initialised(ctx); err != nil || done {
			return false, err
		}
	}
	return true, nil
}

// build sets the stage on empty hubs.
func (d *Demo) build(ctx context.Context, records int) error {
	d.signIns = signIns{
		{Side: "acme", Email: d.acmeAdmin(), Role: identity.RoleAdmin, Part: "Acme's admin; approves our hub on Acme's consent page"},
		{Side: "ours", Email: d.oursAdmin(), Role: identity.RoleAdmin, Part: "our hub's first admin; removes the connector"},
		{Side: "ours", Email: d.Connector(), Role: identity.RoleAdmin, Part: "the connector: the connection runs as this admin"},
		{Side: "ours", Email: d.Second(), Role: identity.RoleAdmin, Part: "the second admin; reconnects"},
		{Side: "ours", Email: d.member(), Role: identity.RoleMember, Part: "a member: sees connections, changes nothing"},
	}
	for i := range d.signIns {
		d.signIns[i].Password = rand.Text()
	}
	if err := writeJSON(filepath.Join(d.dir, signInsFile), d.signIns); err != nil {
		return err
	}
	for _, p := range d.signIns {
		s := d.Ours
		if p.Side == "acme" {
			s = d.Acme
		}
		var err error
		if strings.HasPrefix(p.Email, "admin@") {
			_, _, err = s.Hub.Identity.Init(ctx, identity.InitParams{AdminEmail: p.Email, AdminPassword: p.Password})
		} else {
			_, err = s.Hub.Identity.CreateUser(ctx, identity.NewUser{Email: p.Email, Role: p.Role, Password: p.Password,
				Permissions: permissionsOf(p.Role)})
		}
		if err != nil {
			return fmt.Errorf("create %s on %s: %w", p.Email, s.Name, err)
		}
	}
	d.say("created the people of both hubs")
	for _, side := range []struct {
		s *Side
		c cast
	}{{d.Acme, acmeCast}, {d.Ours, oursCast}} {
		if err := side.c.seed(ctx, side.s.Hub.CRM, records); err != nil {
			return fmt.Errorf("%s: %w", side.s.Name, err)
		}
	}
	d.seededAt = time.Now()
	d.say("seeded %d contacts, %d companies and %d deals on each hub", records, records, records)
	admin, err := d.Ours.admin(ctx)
	if err != nil {
		return err
	}
	if err := d.register(ctx, admin); err != nil {
		return err
	}
	id, err := d.connect(ctx, admin)
	if err != nil {
		return err
	}
	d.ConnectionID = id
	if err := d.configure(ctx, admin); err != nil {
		return err
	}
	if err := d.editorTokens(ctx); err != nil {
		return err
	}
	return writeJSON(filepath.Join(d.dir, stageFile), stage{ConnectionID: id})
}

func permissionsOf(role string) map[string]string {
	if role == identity.RoleAdmin {
		return editAll
	}
	return nil
}

// register registers our hub as an OAuth app on Acme and Acme as an
// integration on our hub.
func (d *Demo) register(ctx context.Context, admin audit.Actor) error {
	app, secret, err := d.Acme.Hub.Apps.Create(ctx, oauth.AppInput{Name: "Our hub",
		RedirectURIs: []string{d.Ours.URL + hub.CallbackPath}, Scopes: oauth.Scopes}, 0)
	if err != nil {
		return fmt.Errorf("register our hub on Acme: %w", err)
	}
	_, err = d.Ours.Hub.Connections.CreateIntegration(ctx, admin, connection.NewIntegration{
		Name: integrationName, Provider: "hubspot", AuthKind: connection.AuthOAuth2, Secret: secret,
		Settings: connection.ProviderSettings("hubspot", d.Acme.URL, map[string]string{
			"client_id": app.ClientID, "scopes": strings.Join(oauth.Scopes, " ")}),
	})
	if err != nil {
		return fmt.Errorf("register Acme on our hub: %w", err)
	}
	d.say("registered our hub as an OAuth app on Acme (client %s) and Acme as integration %q on our hub", app.ClientID, integrationName)
	return nil
}

// connect makes the connection, approved on Acme's consent page.
func (d *Demo) connect(ctx context.Context, admin audit.Actor) (int64, error) {
	started, err := d.Ours.Hub.Connections.Create(ctx, admin, connection.NewConnection{Integration: integrationName,
		Name: ConnectionName, Owner: d.Connector(), Objects: objects})
	if err != nil {
		return 0, fmt.Errorf("create the connection: %w", err)
	}
	if _, err := consent(ctx, started.AuthorizeURL, d.acmeAdmin(), d.signIns.password(d.acmeAdmin())); err != nil {
		return 0, fmt.Errorf("approve the connection on Acme: %w", err)
	}
	c, err := d.Ours.Hub.Connections.Get(ctx, started.Connection.ID)
	if err != nil {
		return 0, err
	}
	if c.Status != connection.StatusActive {
		return 0, fmt.Errorf("the connection is %s after its approval: %s", c.Status, c.ReasonMessage)
	}
	d.say("connected our hub to Acme as %s, approved by %s on Acme's consent page; connection %q is %s",
		d.Connector(), d.acmeAdmin(), c.Name, c.Status)
	return c.ID, nil
}

// configure adds a two-way sync of each object and runs the first sync.
func (d *Demo) configure(ctx context.Context, admin audit.Actor) error {
	for _, object := range objects {
		if _, err := d.Ours.Hub.Syncer.AddObjectSync(ctx, admin, d.ConnectionID, syncer.ObjectSyncInput{
			HubObject: object, Direction: store.DirectionTwoWay}); err != nil {
			return fmt.Errorf("sync %s: %w", object, err)
		}
	}
	d.say("configured a two-way sync of %s", strings.Join(objects, ", "))
	if err := d.letSeedSettle(ctx); err != nil {
		return err
	}
	if err := d.Ours.Hub.Syncer.Run(ctx, d.ConnectionID, jobs.TriggerManual); err != nil {
		return fmt.Errorf("the first sync: %w", err)
	}
	runs, err := d.Ours.Hub.Syncer.Runs(ctx, d.ConnectionID, 1)
	if err != nil || len(runs) == 0 {
		return fmt.Errorf("the first sync left no run: %w", err)
	}
	d.say("first sync %s in %s: %s", runs[0].Status, runs[0].FinishedAt.Sub(runs[0].StartedAt).Round(1e6), summarize(runs[0].Counts))
	return nil
}

// letSeedSettle waits until the seed is older than the hubspot connector's
// read overlap. A HubSpot-compatible search can miss writes of the last
// seconds, so the connector leaves records that fresh to a later run; the
// seed is seconds old, and without the wait the first sync would bring only
// part of it, the rest coming with the next runs.
func (d *Demo) letSeedSettle(ctx context.Context) error {
	wait := hubspot.DefaultReadOverlap + time.Second - time.Since(d.seededAt)
	if wait <= 0 {
		return nil
	}
	d.say("waiting %s, until the seed is older than the connector's read overlap (%s), so the first sync reads all of it",
		wait.Round(100*time.Millisecond), hubspot.DefaultReadOverlap)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
		return nil
	}
}

// reuse picks up the stage an earlier run set, pointing the hubs at each
// other's addresses of this run.
func (d *Demo) reuse(ctx context.Context, data []byte) error {
	var st stage
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%s: %w", stageFile, err)
	}
	d.ConnectionID = st.ConnectionID
	raw, err := os.ReadFile(filepath.Join(d.dir, signInsFile))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &d.signIns); err != nil {
		return fmt.Errorf("%s: %w", signInsFile, err)
	}
	admin, err := d.Ours.admin(ctx)
	if err != nil {
		return err
	}
	apps, err := d.Acme.Hub.Apps.List(ctx)
	if err != nil {
		return err
	}
	for _, app := range apps {
		in := oauth.InputOf(app)
		in.RedirectURIs = []string{d.Ours.URL + hub.CallbackPath}
		if _, err := d.Acme.Hub.Apps.Update(ctx, app.ClientID, in); err != nil {
			return err
		}
	}
	if _, err := d.Ours.Hub.Connections.UpdateIntegration(ctx, admin, integrationName, connection.IntegrationChange{
		Settings: connection.ProviderSettings("hubspot", d.Acme.URL, nil)}); err != nil {
		return err
	}
	c, err := d.Ours.Hub.Connections.Get(ctx, d.ConnectionID)
	if err != nil {
		return err
	}
	d.say("reusing %s: connection %q is %s", d.dir, c.Name, c.Status)
	if err := d.restage(ctx, admin, c); err != nil {
		return fmt.Errorf("set the stage again (or start over with --reset): %w", err)
	}
	return d.editorTokens(ctx)
}

// restage puts a stage whose story was played back to its start: a
// removed connector rejoins (a new user with the same email and password)
// and the connection runs as them again, approved anew on Acme.
func (d *Demo) restage(ctx context.Context, admin audit.Actor, c store.Connection) error {
	connector, err := d.Ours.Hub.Identity.User(ctx, d.Connector())
	if errors.Is(err, store.ErrNotFound) {
		connector, err = d.Ours.Hub.Identity.CreateUser(ctx, identity.NewUser{Email: d.Connector(), Role: identity.RoleAdmin,
			Password: d.signIns.password(d.Connector()), Permissions: editAll})
		if err == nil {
			d.say("%s was removed in an earlier run; they rejoin, as a new user", connector.Email)
		}
	}
	if err != nil {
		return err
	}
	if c.Status == connection.StatusActive && c.OwnerID == connector.ID {
		return nil
	}
	started, err := d.Ours.Hub.Connections.Reconnect(ctx, admin, c.ID, connection.Reconnection{Owner: connector.Email})
	if err != nil {
		return err
	}
	if _, err := consent(ctx, started.AuthorizeURL, d.acmeAdmin(), d.signIns.password(d.acmeAdmin())); err != nil {
		return fmt.Errorf("approve on Acme: %w", err)
	}
	if c, err = d.Ours.Hub.Connections.Get(ctx, c.ID); err != nil {
		return err
	}
	if c.Status != connection.StatusActive {
		return fmt.Errorf("connection %q is %s after reconnecting as %s: %s", c.Name, c.Status, connector.Email, c.ReasonMessage)
	}
	d.say("reconnected %q as %s again, approved on Acme; it is %s", c.Name, connector.Email, c.Status)
	return nil
}

// editorTokens makes (or, on a later run, rotates) a private app on each
// side whose token edits records through the CRM API; tokens are stored
// only hashed, so each run gets new ones.
func (d *Demo) editorTokens(ctx context.Context) error {
	for _, s := range []*Side{d.Acme, d.Ours} {
		apps, err := s.Hub.PrivateApps.List(ctx)
		if err != nil {
			return err
		}
		var token string
		for _, app := range apps {
			if app.Name == editorName {
				if _, token, err = s.Hub.PrivateApps.Rotate(ctx, app.ID, 0); err != nil {
					return err
				}
			}
		}
		if token == "" {
			if _, token, err = s.Hub.PrivateApps.Create(ctx, editorName, oauth.Scopes, 0); err != nil {
				return err
			}
		}
		d.editors[s] = token
	}
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}

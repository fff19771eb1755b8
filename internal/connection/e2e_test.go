package connection_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

func TestConnectThroughConsent(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email, Objects: []string{"contacts", "deals"}})
	tb.wantStatus(t, c.ID, connection.StatusActive, "")
	if c.AuthMode != connection.ModeUser || c.OwnerID != tb.connector.ID {
		t.Fatalf("mode %s owner %d, want user mode run as %d", c.AuthMode, c.OwnerID, tb.connector.ID)
	}
	if !slices.Contains(c.Scopes, "crm.objects.deals.write") || c.External["user"] != tb.approver {
		t.Fatalf("granted scopes %v and external identity %v not recorded", c.Scopes, c.External)
	}
	if c.CredentialExpiresAt.IsZero() {
		t.Fatal("the access token's expiry was not recorded")
	}
	d := tb.diagnose(t, c.ID)
	for _, name := range []string{"connector_user", "permissions", "external_credential", "external_grant"} {
		if s := step(t, d, name); s.Verdict != connection.Pass {
			t.Errorf("step %s: %s (%s), want pass", name, s.Verdict, s.Detail)
		}
	}
	if s := step(t, d, "last_run"); s.Verdict != connection.Warn {
		t.Errorf("last_run is %s before any run, want warn", s.Verdict)
	}
}

func TestStateIsSingleUse(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	started, err := tb.b.Hub.Connections.Create(context.Background(), tb.admin, connection.NewConnection{
		Integration: tb.integration.Name, Name: "once", Owner: tb.connector.Email})
	if err != nil {
		t.Fatal(err)
	}
	browser := tb.a.Browser()
	back := browser.Consent(t, started.AuthorizeURL, tb.approver)
	if status, _, _ := browser.Page(t, "GET", back.String(), nil); status != 200 {
		t.Fatalf("first callback: %d", status)
	}
	status, _, page := browser.Page(t, "GET", back.String(), nil)
	if status != 400 || !strings.Contains(page, "unknown, used or expired") {
		t.Fatalf("replayed callback: %d\n%s", status, page)
	}
	forged := strings.Replace(back.String(), "state=", "state=x", 1)
	if status, _, _ := browser.Page(t, "GET", forged, nil); status != 400 {
		t.Fatalf("forged state: %d", status)
	}
	if conns, _ := tb.b.Hub.Connections.List(context.Background()); len(conns) != 1 {
		t.Fatalf("%d connections, want 1", len(conns))
	}
}

func TestPreflightRefusesConnectorWithoutPermission(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	weak := tb.b.User(t, "weak@b.example", identity.RoleMember, map[string]string{"deals": "view"})
	_, err := tb.b.Hub.Connections.Create(context.Background(), tb.admin, connection.NewConnection{
		Integration: tb.integration.Name, Name: "weak", Owner: weak.Email, Objects: []string{"contacts", "deals"}})
	if !errors.Is(err, connection.ErrPreflight) || !strings.Contains(err.Error(), "deals") {
		t.Fatalf("err = %v, want a preflight failure naming deals", err)
	}
}

func TestExternalConsentRevoked(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	if _, err := tb.a.Hub.Identity.Remove(context.Background(), tb.approver); err != nil {
		t.Fatal(err)
	}
	_, err := tb.b.Hub.Connections.Check(context.Background(), c.ID)
	if e := connector.AsError(err); !e.Definite || e.Reason != connector.ReasonConsentRevoked {
		t.Fatalf("check after A removed the approver: %v", err)
	}
	got := tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connector.ReasonConsentRevoked)
	if strings.Count(got.ReasonMessage, tb.approver) != 1 || strings.Count(strings.ToLower(got.ReasonMessage), "external app") != 1 ||
		strings.Contains(got.ReasonMessage, "..") {
		t.Errorf("the reason should say once, in A's words, whose removal broke it: %q", got.ReasonMessage)
	}
	d := tb.diagnose(t, c.ID)
	if d.Verdict != connection.Fail || step(t, d, "external_credential").Verdict != connection.Fail ||
		step(t, d, "external_grant").Verdict != connection.Fail {
		t.Fatalf("diagnose does not fail the external steps: %+v", d.Steps)
	}
	if step(t, d, "connector_user").Verdict != connection.Pass || d.Next == "" {
		t.Fatalf("diagnose blames the wrong step or gives no next step: %+v", d)
	}
	if _, err := tb.b.Hub.Connections.Credential(context.Background(), c.ID); !errors.Is(err, connection.ErrHeld) {
		t.Fatalf("a broken connection handed out its credential: %v", err)
	}
}

func TestConnectorUserRemoved(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			testConnectorUserRemoved(t, setup(t, backend))
		})
	}
}

func testConnectorUserRemoved(t *testing.T, tb *testBundle) {
	userMode := tb.connect(t, connection.NewConnection{Name: "user mode", Owner: tb.connector.Email})
	appMode := tb.connect(t, connection.NewConnection{Name: "app mode", AuthMode: connection.ModeApp, Owner: tb.connector.Email})
	ctx := context.Background()
	if _, _, err := tb.b.Hub.Connections.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: tb.connector.Email, Status: identity.StatusRemoved}); !errors.Is(err, connection.ErrHasDependents) {
		t.Fatalf("removing a connector without transfer or force: %v", err)
	}
	tb.wantStatus(t, userMode.ID, connection.StatusActive, "")
	if _, _, err := tb.b.Hub.Connections.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: tb.connector.Email, Status: identity.StatusRemoved, Force: true}); err != nil {
		t.Fatal(err)
	}
	// The status changed in Offboard's own transaction, so it shows at once.
	got := tb.wantStatus(t, userMode.ID, connection.StatusNeedsReconnect, connection.ReasonUserRemoved)
	if !strings.Contains(got.ReasonMessage, tb.connector.Email) {
		t.Errorf("reason does not name the user: %q", got.ReasonMessage)
	}
	tb.wantStatus(t, appMode.ID, connection.StatusActive, "")
	if _, err := tb.b.Hub.Connections.Check(ctx, appMode.ID); err != nil {
		t.Fatalf("app-mode connection stopped working: %v", err)
	}
	d := tb.diagnose(t, userMode.ID)
	if s := step(t, d, "connector_user"); s.Verdict != connection.Fail || !strings.Contains(s.Detail, "removed") {
		t.Fatalf("diagnose connector_user = %+v", s)
	}
	if s := step(t, d, "permissions"); s.Verdict != connection.Warn {
		t.Fatalf("diagnose blames permissions for a removed user: %+v", s)
	}
}

func TestConnectorUserDeactivatedAndReactivated(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	ctx := context.Background()
	if _, err := tb.b.Hub.Identity.Deactivate(ctx, tb.connector.Email); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connection.ReasonUserDeactivated)
	if _, err := tb.b.Hub.Identity.Reactivate(ctx, tb.connector.Email); err != nil {
		t.Fatal(err)
	}
	got := tb.wantStatus(t, c.ID, connection.StatusActive, "")
	if got.RecoveredAt.IsZero() {
		t.Fatal("recovery time not recorded")
	}
}

func TestConnectorPasswordChange(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	newPassword := "a brand new password"
	if _, err := tb.b.Hub.Identity.UpdateUser(context.Background(), tb.connector.Email, identity.UserChanges{Password: &newPassword}); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connection.ReasonCredentialsChanged)
}

func TestPermissionsReduced(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			testPermissionsReduced(t, setup(t, backend))
		})
	}
}

func testPermissionsReduced(t *testing.T, tb *testBundle) {
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	app := tb.connect(t, connection.NewConnection{Name: "app", AuthMode: connection.ModeApp, Owner: tb.connector.Email})
	ctx := context.Background()
	setDeals := func(level string) {
		t.Helper()
		if _, err := tb.b.Hub.Identity.UpdateUser(ctx, tb.connector.Email, identity.UserChanges{
			Permissions: map[string]string{"deals": level}}); err != nil {
			t.Fatal(err)
		}
	}
	setDeals("view")
	got := tb.wantStatus(t, c.ID, connection.StatusDegraded, connection.ReasonPermissionsReduced)
	if got.ReasonDetail != "deals" || !strings.Contains(got.ReasonMessage, "deals") {
		t.Fatalf("reason names %q / %q, want deals", got.ReasonDetail, got.ReasonMessage)
	}
	tb.wantStatus(t, app.ID, connection.StatusActive, "")
	// Contacts and companies still sync: degraded, so diagnose warns.
	d := tb.wantVerdict(t, c.ID, connection.Warn, connection.Warn, "deals")
	if s := step(t, d, "permissions"); s.Verdict != connection.Warn || !strings.Contains(s.Detail, "deals") {
		t.Fatalf("diagnose permissions = %+v", s)
	}
	setDeals("edit")
	tb.wantStatus(t, c.ID, connection.StatusActive, "")
}

func TestReconnectAsAnotherUserThenTransferToAppMode(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			testReconnectAsAnotherUserThenTransferToAppMode(t, setup(t, backend))
		})
	}
}

func testReconnectAsAnotherUserThenTransferToAppMode(t *testing.T, tb *testBundle) {
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	if _, err := tb.b.Hub.Identity.Remove(ctx, tb.connector.Email); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connection.ReasonUserRemoved)

	started, err := tb.b.Hub.Connections.Reconnect(ctx, tb.admin, c.ID, connection.Reconnection{Owner: tb.other.Email})
	if err != nil {
		t.Fatal(err)
	}
	again := tb.approve(t, started.AuthorizeURL)
	if again.ID != c.ID {
		t.Fatalf("reconnect made connection %d, want the same id %d", again.ID, c.ID)
	}
	got := tb.wantStatus(t, c.ID, connection.StatusActive, "")
	if got.OwnerID != tb.other.ID || got.RecoveredAt.IsZero() || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("after reconnect: owner %d recovered %v created %v", got.OwnerID, got.RecoveredAt, got.CreatedAt)
	}
	if conns, _ := tb.b.Hub.Connections.List(ctx); len(conns) != 1 {
		t.Fatalf("%d connections after reconnect, want 1", len(conns))
	}

	if _, err := tb.b.Hub.Connections.Transfer(ctx, tb.admin, c.ID, connection.TransferTo{AppMode: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tb.b.Hub.Connections.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: tb.other.Email, Status: identity.StatusRemoved, Force: true}); err != nil {
		t.Fatal(err)
	}
	got = tb.wantStatus(t, c.ID, connection.StatusActive, "")
	if got.AuthMode != connection.ModeApp {
		t.Fatalf("mode %s after transfer", got.AuthMode)
	}
	if _, err := tb.b.Hub.Connections.Check(ctx, c.ID); err != nil {
		t.Fatalf("app-mode connection after its old owner left: %v", err)
	}
	actions := tb.auditActions(t, c.ID)
	for _, want := range []string{"connection.reconnect", "connection.transfer", "connection.status"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
	rows, err := tb.b.Hub.Connections.Review(ctx, 90*24*time.Hour)
	if err != nil || len(rows) != 1 || !slices.Contains(rows[0].Flags, connection.FlagOwnerDeparted) {
		t.Fatalf("review does not flag the departed owner: %+v %v", rows, err)
	}
}

func TestOffboardingTransfersInTheSameTransaction(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	weak := tb.b.User(t, "weak@b.example", identity.RoleMember, map[string]string{"deals": "view"})
	_, _, err := tb.b.Hub.Connections.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: tb.connector.Email, Status: identity.StatusRemoved, TransferTo: weak.Email})
	if !errors.Is(err, connection.ErrPreflight) {
		t.Fatalf("transfer to a user without permission: %v", err)
	}
	if u, _ := tb.b.Hub.Identity.User(ctx, tb.connector.Email); u.Status != identity.StatusActive {
		t.Fatalf("the failed offboarding still removed the user: %s", u.Status)
	}
	_, _, err = tb.b.Hub.Connections.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: tb.connector.Email, Status: identity.StatusRemoved, TransferTo: tb.connector.Email})
	if !errors.Is(err, connection.ErrInvalid) {
		t.Fatalf("transfer to the departing user: %v", err)
	}
	_, deps, err := tb.b.Hub.Connections.Offboard(ctx, tb.admin, tb.b.Hub.Identity, connection.Offboarding{
		User: tb.connector.Email, Status: identity.StatusRemoved, TransferTo: tb.other.Email})
	if err != nil || len(deps) != 1 {
		t.Fatalf("offboard with transfer: %v (%d dependents)", err, len(deps))
	}
	got := tb.wantStatus(t, c.ID, connection.StatusActive, "")
	if got.OwnerID != tb.other.ID || got.MaintainerID != tb.other.ID {
		t.Fatalf("owner %d maintainer %d, want both %d", got.OwnerID, got.MaintainerID, tb.other.ID)
	}
}

func TestGovernanceAndAudit(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	viewer := audit.Actor{ID: tb.viewer.ID, Label: tb.viewer.Email}
	s := tb.b.Hub.Connections
	toApp := connection.TransferTo{AppMode: true}
	calls := map[string]func() error{
		"create integration": func() error {
			_, err := s.CreateIntegration(ctx, viewer, connection.NewIntegration{Name: "x", Provider: "postgres", AuthKind: connection.AuthPassword})
			return err
		},
		"delete integration": func() error { return s.DeleteIntegration(ctx, viewer, tb.integration.Name) },
		"create connection": func() error {
			_, err := s.Create(ctx, viewer, connection.NewConnection{Integration: tb.integration.Name, Name: "x", Owner: tb.viewer.Email})
			return err
		},
		"reconnect": func() error { _, err := s.Reconnect(ctx, viewer, c.ID, connection.Reconnection{}); return err },
		"transfer":  func() error { _, err := s.Transfer(ctx, viewer, c.ID, toApp); return err },
		"pause":     func() error { _, err := s.Pause(ctx, viewer, c.ID); return err },
		"resume":    func() error { _, err := s.Resume(ctx, viewer, c.ID); return err },
		"delete":    func() error { return s.Delete(ctx, viewer, c.ID) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, connection.ErrForbidden) {
			t.Errorf("%s by a user without integrations.manage: %v, want forbidden", name, err)
		}
	}
	tb.wantStatus(t, c.ID, connection.StatusActive, "")

	if _, err := s.Pause(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, c.ID, connection.StatusPaused, connection.ReasonPausedByUser)
	if _, err := s.Resume(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transfer(ctx, tb.admin, c.ID, connection.TransferTo{Owner: tb.other.Email}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, c.ID, connection.StatusDisconnected, connection.ReasonDeletedByUser)
	if _, err := tb.b.Hub.Connections.Credential(ctx, c.ID); !errors.Is(err, connection.ErrHeld) {
		t.Fatalf("a deleted connection handed out a credential: %v", err)
	}

	events, err := tb.b.Hub.Audit.List(ctx, store.AuditQuery{TargetType: "connection", TargetID: strconv.FormatInt(c.ID, 10), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
		if e.Actor == tb.viewer.Email {
			t.Errorf("a refused call was audited as done: %+v", e)
		}
	}
	for _, want := range []string{"connection.create", "connection.pause", "connection.resume", "connection.transfer", "connection.delete", "connection.status"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
	if ev, _ := tb.b.Hub.Audit.List(ctx, store.AuditQuery{TargetType: "integration", Limit: 10}); len(ev) != 1 || ev[0].Action != "integration.create" {
		t.Errorf("integration audit: %+v", ev)
	}
}

func TestAppConfigChanged(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	apps, err := tb.a.Hub.Apps.List(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatal(err)
	}
	_, secret, err := tb.a.Hub.Apps.RotateSecret(ctx, apps[0].ClientID)
	if err != nil {
		t.Fatal(err)
	}
	tb.expire(t, c.ID)
	if _, err := tb.b.Hub.Connections.Credential(ctx, c.ID); err == nil {
		t.Fatal("a refresh with the old client secret worked")
	}
	tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connector.ReasonAppConfig)
	tb.wantVerdict(t, c.ID, connection.Fail, connection.Fail, "app registration")
	if _, err := tb.b.Hub.Connections.UpdateIntegration(ctx, tb.admin, tb.integration.Name, connection.IntegrationChange{Secret: secret}); err != nil {
		t.Fatal(err)
	}
	started, err := tb.b.Hub.Connections.Reconnect(ctx, tb.admin, c.ID, connection.Reconnection{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.approve(t, started.AuthorizeURL); got.ID != c.ID {
		t.Fatalf("reconnect made connection %d", got.ID)
	}
	tb.wantStatus(t, c.ID, connection.StatusActive, "")
}

func TestReviewFlagsStaleConnections(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	member := tb.connect(t, connection.NewConnection{Name: "member-owned", Owner: tb.connector.Email})
	used := tb.connect(t, connection.NewConnection{Name: "used", Owner: tb.other.Email})
	tb.clock.Advance(40 * 24 * time.Hour)
	if _, err := tb.b.Hub.Connections.Check(ctx, member.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Connections.Credential(ctx, used.ID); err != nil {
		t.Fatal(err)
	}
	rows, err := tb.b.Hub.Connections.Review(ctx, 30*24*time.Hour)
	if err != nil || len(rows) != 2 {
		t.Fatalf("review: %v %v", rows, err)
	}
	flags := map[string][]string{}
	for _, r := range rows {
		flags[r.Connection.Name] = r.Flags
	}
	if !slices.Contains(flags["member-owned"], connection.FlagStale) || !slices.Contains(flags["member-owned"], connection.FlagNonAdminOwner) {
		t.Errorf("a health check made a connection look used, or the member owner is not flagged: %v", flags["member-owned"])
	}
	if len(flags["used"]) != 0 {
		t.Errorf("a used connection owned by an admin is flagged: %v", flags["used"])
	}
}

func TestReconnectOnlyHoldsSurviveIdentityChanges(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	paused := tb.connect(t, connection.NewConnection{Name: "paused", Owner: tb.connector.Email})
	if _, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, paused.ID); err != nil {
		t.Fatal(err)
	}
	newPassword := "a brand new password"
	if _, err := tb.b.Hub.Identity.UpdateUser(ctx, tb.connector.Email, identity.UserChanges{Password: &newPassword}); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, paused.ID, connection.StatusNeedsReconnect, connection.ReasonCredentialsChanged)
	if _, err := tb.b.Hub.Connections.Resume(ctx, tb.admin, paused.ID); err == nil {
		t.Fatal("resume lifted a password-change hold")
	}
	for _, step := range []func(context.Context, string) (store.User, error){tb.b.Hub.Identity.Deactivate, tb.b.Hub.Identity.Reactivate} {
		if _, err := step(ctx, tb.connector.Email); err != nil {
			t.Fatal(err)
		}
		tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connection.ReasonCredentialsChanged)
	}
	if _, err := tb.b.Hub.Connections.Transfer(ctx, tb.admin, c.ID, connection.TransferTo{Owner: tb.connector.Email}); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connection.ReasonCredentialsChanged)

	if err := tb.b.Hub.Connections.Delete(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, c.ID); err == nil {
		t.Fatal("a deleted connection was paused")
	}
	tb.wantStatus(t, c.ID, connection.StatusDisconnected, connection.ReasonDeletedByUser)
}

// TestOAuthCreateGivesTheIDTheCallbackCompletes checks that an OAuth
// connection has its id from the create on: it awaits consent under that
// id, a reconnect gives a fresh link for it, and the callback completes it.
func TestOAuthCreateGivesTheIDTheCallbackCompletes(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, backend)
			ctx := context.Background()
			started, err := tb.b.Hub.Connections.Create(ctx, tb.admin, connection.NewConnection{
				Integration: tb.integration.Name, Name: "pending", Owner: tb.connector.Email})
			if err != nil {
				t.Fatal(err)
			}
			id := started.Connection.ID
			if id == 0 || started.AuthorizeURL == "" {
				t.Fatalf("create gave %+v", started)
			}
			pending := tb.wantStatus(t, id, connection.StatusNeedsReconnect, connection.ReasonAwaitingConsent)
			if !strings.Contains(pending.ReasonMessage, "awaits consent") || pending.OwnerID != tb.connector.ID {
				t.Errorf("awaiting consent: %+v", pending)
			}
			if _, err := tb.b.Hub.Connections.Check(ctx, id); !errors.Is(err, connection.ErrHeld) || !strings.Contains(err.Error(), "awaits consent") {
				t.Errorf("a check of a connection awaiting consent: %v", err)
			}
			again, err := tb.b.Hub.Connections.Reconnect(ctx, tb.admin, id, connection.Reconnection{})
			if err != nil || again.Connection.ID != id || again.AuthorizeURL == "" || again.AuthorizeURL == started.AuthorizeURL {
				t.Fatalf("reconnect of a connection awaiting consent: %+v, %v", again, err)
			}
			if got := tb.approve(t, again.AuthorizeURL); got.ID != id {
				t.Fatalf("the callback completed connection %d, want %d", got.ID, id)
			}
			tb.wantStatus(t, id, connection.StatusActive, "")
			if conns, _ := tb.b.Hub.Connections.List(ctx); len(conns) != 1 {
				t.Errorf("%d connections, want the one", len(conns))
			}
			if actions := tb.auditActions(t, id); !slices.Contains(actions, "connection.create") || !slices.Contains(actions, "connection.consent") {
				t.Errorf("audit of the connection: %v", actions)
			}
		})
	}
}

// TestResumeShowsTheOwnersState: a resume ends the pause even when the
// connector user was deactivated meanwhile; the connection then shows why
// it does not sync, and the user's reactivation brings it back.
func TestResumeShowsTheOwnersState(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	if _, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Identity.Deactivate(ctx, tb.connector.Email); err != nil {
		t.Fatal(err)
	}
	got, err := tb.b.Hub.Connections.Resume(ctx, tb.admin, c.ID)
	if err != nil || got.Status != connection.StatusNeedsReconnect || got.Reason != connection.ReasonUserDeactivated {
		t.Fatalf("resume with the connector user deactivated: %s %s, %v", got.Status, got.Reason, err)
	}
	tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connection.ReasonUserDeactivated)
	if _, err := tb.b.Hub.Identity.Reactivate(ctx, tb.connector.Email); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, c.ID, connection.StatusActive, "")
}

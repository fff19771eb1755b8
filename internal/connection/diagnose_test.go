package connection_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/identity"
)

// wantVerdict fails unless diagnose gives the verdict and its status step
// the step verdict, naming the reason in the catalog's words.
func (tb *testBundle) wantVerdict(t *testing.T, id int64, verdict, status string, words ...string) connection.Diagnosis {
	t.Helper()
	d := tb.diagnose(t, id)
	s := step(t, d, "status")
	if d.Verdict != verdict || s.Verdict != status {
		t.Fatalf("diagnose: verdict %s, status step %s (%s), want %s and %s; steps %+v", d.Verdict, s.Verdict, s.Detail, verdict, status, d.Steps)
	}
	for _, w := range words {
		if !strings.Contains(s.Detail, w) {
			t.Errorf("the status step does not say %q: %q", w, s.Detail)
		}
	}
	if verdict != connection.Pass && (s.Next == "" || d.Next == "") {
		t.Errorf("diagnose gives no next step: %+v", d)
	}
	return d
}

// TestDiagnoseNeverPassesAHeldConnection: a connection held on the hub's
// side (its user changed their password) fails diagnose although every
// live call still works; one whose app registration A no longer accepts
// fails on the credential step, found live on an active connection whose
// token still works; a pause warns; a deleted connection fails.
func TestDiagnoseNeverPassesAHeldConnection(t *testing.T) {
	onEachBackend(t, testDiagnoseNeverPassesAHeldConnection)
}

func testDiagnoseNeverPassesAHeldConnection(t *testing.T, tb *testBundle) {
	ctx := context.Background()
	held := tb.connect(t, connection.NewConnection{Name: "held", Owner: tb.connector.Email})
	registration := tb.connect(t, connection.NewConnection{Name: "registration", Owner: tb.other.Email})
	paused := tb.connect(t, connection.NewConnection{Name: "paused", Owner: tb.other.Email})

	newPassword := "a brand new password"
	if _, err := tb.b.Hub.Identity.UpdateUser(ctx, tb.connector.Email, identity.UserChanges{Password: &newPassword}); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, held.ID, connection.StatusNeedsReconnect, connection.ReasonCredentialsChanged)
	d := tb.wantVerdict(t, held.ID, connection.Fail, connection.Fail, "changed their password")
	if s := step(t, d, "external_credential"); s.Verdict != connection.Pass {
		t.Errorf("the credential still works on A, yet the step says %s: %s", s.Verdict, s.Detail)
	}
	if d.Next != "Reconnect the connection." {
		t.Errorf("next step %q, want the catalog's", d.Next)
	}

	if _, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, paused.ID); err != nil {
		t.Fatal(err)
	}
	tb.wantVerdict(t, paused.ID, connection.Warn, connection.Warn, "paused by")

	// A rotates the hub's client secret. Tokens keep working until the
	// next refresh, so only a check of the registration itself sees it.
	apps, err := tb.a.Hub.Apps.List(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("apps on A: %v %v", apps, err)
	}
	if _, _, err := tb.a.Hub.Apps.RotateSecret(ctx, apps[0].ClientID); err != nil {
		t.Fatal(err)
	}
	tb.wantStatus(t, registration.ID, connection.StatusActive, "")
	d = tb.wantVerdict(t, registration.ID, connection.Fail, connection.Fail, "app registration")
	if s := step(t, d, "external_credential"); s.Verdict != connection.Fail || !strings.Contains(s.Detail, "client id or secret") {
		t.Errorf("credential step: %+v", s)
	}
	tb.wantStatus(t, registration.ID, connection.StatusNeedsReconnect, connector.ReasonAppConfig)
	// Held now: checked again without being recorded, with the same answer.
	d = tb.wantVerdict(t, registration.ID, connection.Fail, connection.Fail, "app registration")
	if s := step(t, d, "external_credential"); s.Verdict != connection.Fail {
		t.Errorf("credential step of the held connection: %+v", s)
	}

	if err := tb.b.Hub.Connections.Delete(ctx, tb.admin, paused.ID); err != nil {
		t.Fatal(err)
	}
	d = tb.wantVerdict(t, paused.ID, connection.Fail, connection.Fail, "deleted by")
	for _, name := range []string{"external_credential", "external_grant"} {
		if s := step(t, d, name); s.Verdict != connection.Fail || !strings.Contains(s.Detail, "Not checked") {
			t.Errorf("%s of a deleted connection: %+v", name, s)
		}
	}

	// A connection awaiting consent has no credential yet: its live steps
	// say so and point to the approval, rather than blame the external app.
	pending, err := tb.b.Hub.Connections.Create(ctx, tb.admin, connection.NewConnection{
		Integration: tb.integration.Name, Name: "pending", Owner: tb.other.Email})
	if err != nil {
		t.Fatal(err)
	}
	d = tb.wantVerdict(t, pending.Connection.ID, connection.Fail, connection.Fail, "awaits consent")
	for _, name := range []string{"external_credential", "external_grant"} {
		if s := step(t, d, name); s.Verdict != connection.Fail || !strings.Contains(s.Detail, "nobody has approved it") ||
			!strings.Contains(s.Next, "approval link") {
			t.Errorf("%s of a connection awaiting consent: %+v", name, s)
		}
	}
}

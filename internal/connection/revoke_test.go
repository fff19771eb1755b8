package connection_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// activeGrants counts the grants A still honours.
func (tb *testBundle) activeGrants(t *testing.T) int {
	t.Helper()
	grants, err := tb.a.Hub.Grants.List(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range grants {
		if g.Active {
			n++
		}
	}
	return n
}

func (tb *testBundle) wantActiveGrants(t *testing.T, want int, when string) {
	t.Helper()
	if n := tb.activeGrants(t); n != want {
		t.Fatalf("%s: A honours %d grants of hub B, want %d", when, n, want)
	}
}

// reconnect runs a reconnect through A's consent page.
func (tb *testBundle) reconnect(t *testing.T, id int64) {
	t.Helper()
	started, err := tb.b.Hub.Connections.Reconnect(context.Background(), tb.admin, id, connection.Reconnection{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.approve(t, started.AuthorizeURL); got.ID != id || got.Status != connection.StatusActive {
		t.Fatalf("reconnect gave connection %d %s", got.ID, got.Status)
	}
}

// auditActions lists the audit actions on connection id, oldest first.
func (tb *testBundle) auditActions(t *testing.T, id int64) []string {
	t.Helper()
	events, err := tb.b.Hub.Audit.List(context.Background(), store.AuditQuery{TargetType: "connection",
		TargetID: strconv.FormatInt(id, 10), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range slices.Backward(events) {
		out = append(out, e.Action)
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestReconnectRevokesTheReplacedGrant: each reconnect revokes the grant it
// replaced on A, so A keeps honouring one grant however many reconnects.
// A revoke A cannot take now never holds up the reconnect: it is audited,
// kept sealed, shown by diagnose, retried by upkeep after a restart, and
// given up (audited) after a week. A deleted connection's grant goes too.
func TestReconnectRevokesTheReplacedGrant(t *testing.T) {
	onEachBackend(t, testReconnectRevokesTheReplacedGrant)
}

func testReconnectRevokesTheReplacedGrant(t *testing.T, tb *testBundle) {
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	tb.wantActiveGrants(t, 1, "after connecting")
	for i := range 3 {
		tb.reconnect(t, c.ID)
		tb.wantActiveGrants(t, 1, "after reconnect "+strconv.Itoa(i+1))
	}
	if _, err := tb.b.Hub.Connections.Check(ctx, c.ID); err != nil {
		t.Fatalf("the connection after three reconnects: %v", err)
	}
	if n := count(tb.auditActions(t, c.ID), "connection.revoke"); n != 3 {
		t.Fatalf("%d revokes audited after three reconnects", n)
	}

	// A refuses revokes for a while: the reconnect goes through anyway.
	replaced, err := tb.b.Hub.Connections.Credential(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	tb.front.revokesDown.Store(true)
	tb.reconnect(t, c.ID)
	tb.wantActiveGrants(t, 2, "after a reconnect whose revoke failed")
	if actions := tb.auditActions(t, c.ID); actions[len(actions)-1] != "connection.revoke_failed" {
		t.Fatalf("the failed revoke is not audited: %v", actions)
	}
	if s := step(t, tb.diagnose(t, c.ID), "replaced_grants"); s.Verdict != connection.Warn || !strings.Contains(s.Detail, "external_unreachable") {
		t.Fatalf("diagnose does not show the pending revoke: %+v", s)
	}
	if found := plaintextIn(t, tb.b, map[string]string{"refresh token": replaced.RefreshToken, "access token": replaced.AccessToken}); len(found) > 0 {
		t.Fatalf("the credential waiting to be revoked is stored in plaintext: %v", found)
	}

	// Another replica (a restart) retries it from upkeep once its backoff
	// has passed.
	restarted := tb.replica(t, tb.b.Config)
	tb.front.revokesDown.Store(false)
	if err := restarted.Hub.Connections.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	tb.wantActiveGrants(t, 2, "before the backoff passed")
	tb.clock.Advance(time.Minute)
	if err := restarted.Hub.Connections.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	tb.wantActiveGrants(t, 1, "after upkeep retried the revoke")
	if s := step(t, tb.diagnose(t, c.ID), "replaced_grants"); s.Verdict != connection.Pass {
		t.Fatalf("diagnose after the revoke: %+v", s)
	}

	// One that keeps failing is given up after a week, and audited.
	tb.front.revokesDown.Store(true)
	tb.reconnect(t, c.ID)
	for range 8 {
		tb.clock.Advance(24 * time.Hour)
		if err := restarted.Hub.Connections.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	actions := tb.auditActions(t, c.ID)
	if count(actions, "connection.revoke_failed") != 2 || actions[len(actions)-1] != "connection.revoke_abandoned" {
		t.Fatalf("a revoke failing for a week: %v", actions)
	}
	tb.wantActiveGrants(t, 2, "after the revoke was given up")
	events, err := tb.b.Hub.Audit.List(ctx, storeQuery("connection"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		for _, m := range []map[string]string{e.Before, e.After} {
			for _, v := range m {
				if strings.Contains(v, replaced.RefreshToken) || strings.Contains(v, replaced.AccessToken) {
					t.Fatalf("the audit log holds a token: %+v", e)
				}
			}
		}
	}

	tb.front.revokesDown.Store(false)
	if err := tb.b.Hub.Connections.Delete(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	tb.wantActiveGrants(t, 1, "after deleting the connection") // the abandoned one stays
}

// TestFailedConnectRevokesItsGrant: a connect or reconnect that fails after
// A issued the grant (here the preflight: the connector user lost a
// permission while the admin was on A's consent page) revokes that grant,
// so nothing unused stays live on A.
func TestFailedConnectRevokesItsGrant(t *testing.T) {
	onEachBackend(t, testFailedConnectRevokesItsGrant)
}

func testFailedConnectRevokesItsGrant(t *testing.T, tb *testBundle) {
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.viewer.Email})
	reconnect, err := tb.b.Hub.Connections.Reconnect(ctx, tb.admin, c.ID, connection.Reconnection{})
	if err != nil {
		t.Fatal(err)
	}
	create, err := tb.b.Hub.Connections.Create(ctx, tb.admin, connection.NewConnection{
		Integration: tb.integration.Name, Name: "never made", Owner: tb.viewer.Email})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.b.Hub.Identity.UpdateUser(ctx, tb.viewer.Email, identity.UserChanges{
		Permissions: map[string]string{"deals": identity.AccessView}}); err != nil {
		t.Fatal(err)
	}
	for _, authorize := range []string{reconnect.AuthorizeURL, create.AuthorizeURL} {
		browser := tb.a.Browser()
		back := browser.Consent(t, authorize, tb.approver)
		if status, _, page := browser.Page(t, http.MethodGet, back.String(), nil); status != http.StatusBadRequest || !strings.Contains(page, "may not edit deals") {
			t.Fatalf("callback after the connector user lost deals: %d\n%s", status, page)
		}
		tb.wantActiveGrants(t, 1, "after a callback that failed")
	}
	if n := count(tb.auditActions(t, c.ID), "connection.revoke"); n != 1 {
		t.Errorf("the failed reconnect's revoke is not audited on its connection")
	}
	// A new OAuth connection has its id before the consent, so the revoke
	// of its failed first approval is audited on it too.
	if create.Connection.ID == 0 || count(tb.auditActions(t, create.Connection.ID), "connection.revoke") != 1 {
		t.Errorf("the failed create's revoke is not audited on its connection %d", create.Connection.ID)
	}
}

package connection_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/oauth"
)

// TestExternalRefreshTokenPolicy: hub A's registration of hub B sets an
// idle refresh-token lifetime of 30 days, and both hubs share one clock. B
// refreshes within it with the refresh token of the install, which A keeps;
// left unused past it, the refresh is refused and B's connection needs a
// reconnect with external_token_expired, its sentence naming A's policy.
func TestExternalRefreshTokenPolicy(t *testing.T) {
	t.Parallel()
	tb := setupWith(t, hubtest.SQLite, func(tb *testBundle) hub.Option { return hub.WithOAuthClock(tb.clock.Now) })
	ctx := context.Background()
	apps, err := tb.a.Hub.Apps.List(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("A's apps: %v, %v", apps, err)
	}
	idle := 30 * 24 * time.Hour
	in := oauth.InputOf(apps[0])
	in.RefreshTokenIdleTTL = &idle
	if _, err := tb.a.Hub.Apps.Update(ctx, apps[0].ClientID, in); err != nil {
		t.Fatal(err)
	}
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	first, err := tb.b.Hub.Connections.Credential(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		tb.clock.Advance(29 * 24 * time.Hour)
		cred, err := tb.b.Hub.Connections.Credential(ctx, c.ID)
		if err != nil {
			t.Fatalf("refresh within the idle lifetime: %v", err)
		}
		if cred.AccessToken == first.AccessToken || cred.RefreshToken != first.RefreshToken {
			t.Fatalf("a refresh within the lifetime gave a new access token %v, a new refresh token %v; want yes, no",
				cred.AccessToken != first.AccessToken, cred.RefreshToken != first.RefreshToken)
		}
	}
	tb.clock.Advance(31 * 24 * time.Hour)
	_, err = tb.b.Hub.Connections.Credential(ctx, c.ID)
	if e := connector.AsError(err); !e.Definite || e.Reason != connector.ReasonTokenExpired {
		t.Fatalf("refresh past the idle lifetime: %v", err)
	}
	got := tb.wantStatus(t, c.ID, connection.StatusNeedsReconnect, connector.ReasonTokenExpired)
	if !strings.Contains(got.ReasonMessage, oauth.SettingIdleTTL) {
		t.Errorf("the reason does not name A's policy: %q", got.ReasonMessage)
	}
}

package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// change rewrites a stored connection, to put it where only time would
// (paused for days, created months ago).
func change(t *testing.T, p *webtest.Pair, id int64, fn func(c *store.Connection)) {
	t.Helper()
	ctx := context.Background()
	err := p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		fn(&c)
		return tx.UpdateConnection(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitStatus waits up to 5 s for a connection to reach status.
func waitStatus(t *testing.T, p *webtest.Pair, id int64, status string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := p.Ours.Hub.Connections.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection %d is %s (%s) after 5 s, want %s", id, c.Status, c.Reason, status)
		}
	}
}

// waitRun waits up to 5 s for a connection's first run to end.
func waitRun(t *testing.T, p *webtest.Pair, id int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := p.Ours.Hub.Connections.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !c.LastRunAt.IsZero() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection %d has not run after 5 s", id)
		}
	}
}

// brokenHub is a hub with a connection in each kind of trouble the home
// page lists, and a healthy, reviewed one.
func brokenHub(t *testing.T) (*webtest.Pair, map[string]store.Connection) {
	p := webtest.NewPair(t, hubtest.SQLite)
	ctx := context.Background()
	sam := p.Ours.User(t, "sam@ours.example", identity.RoleAdmin, webtest.EditAll)
	dana := p.Ours.User(t, "dana@ours.example", identity.RoleAdmin, webtest.EditAll)
	conns := map[string]store.Connection{}
	for key, n := range map[string]connection.NewConnection{
		"removed":    {Name: "Acme CRM · Sales", Owner: sam.Email, Maintainer: p.Second.Email},
		"degraded":   {Name: "Acme CRM · Deals desk", Owner: dana.Email},
		"paused":     {Name: "Acme CRM · Support", Owner: p.Second.Email},
		"failing":    {Name: "Acme CRM · Finance", Owner: p.Connector.Email},
		"unreviewed": {Name: "Acme CRM · Marketing", Owner: p.Connector.Email, Maintainer: p.Member.Email},
		"healthy":    {Name: "Acme CRM · Operations", Owner: p.Connector.Email},
	} {
		conns[key] = p.Connect(t, n)
	}
	removeConnector(t, p, sam)
	deals := map[string]string{"deals": "view"}
	if _, err := p.Ours.Hub.Identity.UpdateUser(ctx, dana.Email, identity.UserChanges{Permissions: deals}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Ours.Hub.Connections.Pause(ctx, p.Admin, conns["paused"].ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, conns["removed"].ID, connection.StatusNeedsReconnect)
	waitStatus(t, p, conns["degraded"].ID, connection.StatusDegraded)
	// The catch-up run after consent would overwrite the run times below.
	for _, key := range []string{"failing", "unreviewed", "healthy"} {
		waitRun(t, p, conns[key].ID)
	}
	now := time.Now().UTC()
	change(t, p, conns["paused"].ID, func(c *store.Connection) { c.StatusChangedAt = now.Add(-74 * time.Hour) })
	change(t, p, conns["failing"].ID, func(c *store.Connection) {
		c.LastSuccessAt, c.LastRunAt = now.Add(-6*time.Hour), now.Add(-4*time.Minute)
	})
	// Its last review was 131 days ago.
	err := p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.AddConnectionReview(ctx, store.ConnectionReview{ConnectionID: conns["unreviewed"].ID,
			ReviewerID: p.Second.ID, Reviewer: p.Second.Email, ReviewedAt: now.Add(-131 * 24 * time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Ours.Hub.Connections.MarkReviewed(ctx, p.Admin, conns["healthy"].ID, "Owner confirmed it syncs the ops board"); err != nil {
		t.Fatal(err)
	}
	return p, conns
}

// The home page with connections in every kind of trouble lists each with
// its reason and button, worst first; then the list and the review.
func TestScreenshotsHome(t *testing.T) {
	p, conns := brokenHub(t)
	ctx := webtest.Chrome(t)
	webtest.SignIn(t, ctx, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, ctx, "open home", chromedp.Navigate(p.Ours.URL+"/home"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#attention-%d", conns["unreviewed"].ID))))
	if testing.Verbose() {
		at, _ := p.Ours.Hub.Connections.Attention(context.Background(), nil)
		for _, r := range at.Rows {
			t.Logf("%d %s %s %+v", r.Connection.ID, r.Connection.Name, r.Connection.Status, r.Concerns)
		}
		for k, c := range conns {
			got, _ := p.Ours.Hub.Connections.Get(context.Background(), c.ID)
			t.Logf("%s: %d %s run %v success %v", k, c.ID, got.Status, got.LastRunAt, got.LastSuccessAt)
		}
	}
	for key, want := range map[string]struct{ code, button string }{
		"removed":    {connection.ReasonUserRemoved, "Reconnect"},
		"degraded":   {connection.ReasonPermissionsReduced, "Open"},
		"paused":     {connection.ConcernPausedLong, "Resume"},
		"failing":    {connection.ConcernRunsFailing, "Open"},
		"unreviewed": {connection.FlagReviewOverdue, "Review"},
	} {
		row := fmt.Sprintf("#attention-%d", conns[key].ID)
		code := webtest.Get(t, ctx, "read "+row, chromedp.Evaluate[string](`document.querySelector("`+row+`").dataset.reason`))
		if code != want.code {
			t.Errorf("%s: first reason %q, want %q", key, code, want.code)
		}
		if got := webtest.Text(t, ctx, row+" .actions"); !strings.HasPrefix(strings.TrimSpace(got), want.button) {
			t.Errorf("%s: buttons %q, want %s first", key, got, want.button)
		}
	}
	if n := webtest.Get(t, ctx, "count", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll("#attention-%d").length`,
		conns["healthy"].ID))); n != 0 {
		t.Errorf("the healthy, reviewed connection is listed as needing attention")
	}
	first := webtest.Get(t, ctx, "first row", chromedp.Evaluate[string](`document.querySelector("table.attention tbody tr").id`))
	if first != fmt.Sprintf("attention-%d", conns["removed"].ID) {
		t.Errorf("the first row is %s, want the needs_reconnect one", first)
	}
	webtest.Shot(t, ctx, "home")
	webtest.Do(t, ctx, "open the connections", chromedp.Navigate(p.Ours.URL+"/connections"), chromedp.WaitVisible(chromedp.CSS("table.connections")))
	webtest.Shot(t, ctx, "connections")
	webtest.Do(t, ctx, "open the review", chromedp.Navigate(p.Ours.URL+"/review"), chromedp.WaitVisible(chromedp.CSS("table.review")))
	webtest.Shot(t, ctx, "review")
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
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

// removeConnector removes the connector user, forcing it: their connections
// break and say why.
func removeConnector(t *testing.T, p *webtest.Pair, u store.User) {
	t.Helper()
	_, _, err := p.Ours.Hub.Connections.Offboard(context.Background(), p.Admin, p.Ours.Hub.Identity,
		connection.Offboarding{User: u.Email, Status: identity.StatusRemoved, Force: true})
	if err != nil {
		t.Fatalf("remove %s by force: %v", u.Email, err)
	}
}

// The home page lists a broken connection with its reason, since when, the
// next step and the button for it.
func TestHomeListsABrokenConnection(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	c := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	removeConnector(t, p, p.Connector)
	ctx := webtest.Chrome(t)
	webtest.SignIn(t, ctx, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	row := fmt.Sprintf("#attention-%d", c.ID)
	webtest.Do(t, ctx, "find the broken connection", chromedp.WaitVisible(chromedp.CSS(row)))
	for css, want := range map[string]string{
		row + " .why":             "The connector user connector@ours.example was removed from the hub",
		row + " .next":            "Reconnect as another user, or transfer the connection",
		row + " .badge":           "needs_reconnect",
		row + " time":             "just now",
		row + " a.button":         "Reconnect",
		"ul.counts":               "1 needs_reconnect",
		row + " td:first-child a": "Acme CRM",
	} {
		if got := webtest.Text(t, ctx, css); !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
			t.Errorf("%s says %q, want %q in it", css, got, want)
		}
	}
	href := webtest.Get(t, ctx, "read the reconnect link", chromedp.Evaluate[string](
		`document.querySelector("`+row+` a.button").getAttribute("href")`))
	if want := fmt.Sprintf("/connections/%d#status", c.ID); href != want {
		t.Errorf("Reconnect goes to %q, want %q", href, want)
	}
}

// A connection that breaks while the home page is open appears on it within
// a second, without a reload.
func TestHomeShowsABreakWithoutReload(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	c := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	ctx := webtest.Chrome(t)
	webtest.SignIn(t, ctx, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	row := fmt.Sprintf("#attention-%d", c.ID)
	webtest.Do(t, ctx, "wait for the first refresh", chromedp.WaitVisible(chromedp.CSS("#attention .all-well")))
	// The marker lives as long as the page: a reload or navigation drops it.
	webtest.Get(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.sameHomePage = true`))
	if n := webtest.Get(t, ctx, "count rows", chromedp.Evaluate[int](`document.querySelectorAll("`+row+`").length`)); n != 0 {
		t.Fatalf("the healthy connection is listed before it breaks")
	}

	removeConnector(t, p, p.Connector)
	// The page polls every second; 5 s leaves room for a slow machine.
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(wait, chromedp.WaitVisible(chromedp.CSS(row))); err != nil {
		t.Fatalf("the broken connection did not appear on the open home page within 5 s: %v", err)
	}
	if !webtest.Get(t, ctx, "read the marker", chromedp.Evaluate[bool](`window.sameHomePage === true`)) {
		t.Fatal("the page was reloaded or left: the row must come in without a reload")
	}
	if got := webtest.Text(t, ctx, row+" .why"); !strings.Contains(got, "was removed from the hub") {
		t.Errorf("the new row says %q", got)
	}
	if got := webtest.Text(t, ctx, "ul.counts"); !strings.Contains(strings.Join(strings.Fields(got), " "), "1 needs_reconnect") {
		t.Errorf("the counts did not follow: %q", got)
	}

	// A keyboard user's focus stays on its button through the refreshes.
	open := fmt.Sprintf("open-%d", c.ID)
	webtest.Get(t, ctx, "focus a button and count refreshes", chromedp.Evaluate[bool](`document.body.dataset.swaps = 0;
		document.body.addEventListener("htmx:afterSwap", () => { document.body.dataset.swaps = Number(document.body.dataset.swaps) + 1 });
		document.getElementById("`+open+`").focus(); document.activeElement.id === "`+open+`"`))
	wait2, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	if _, err := chromedp.Run(wait2, chromedp.Poll[bool](`Number(document.body.dataset.swaps) >= 2`)); err != nil {
		t.Fatalf("the part was not refreshed twice within 5 s: %v", err)
	}
	if got := webtest.Get(t, ctx, "read the focus", chromedp.Evaluate[string](`document.activeElement.id`)); got != open {
		t.Errorf("after two refreshes the focus is on %q, want %q", got, open)
	}
}

// A member sees only the connections they run, own or maintain, without
// the buttons that change them.
func TestHomeOfAMemberIsTheirsAndReadOnly(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	mine := p.Connect(t, connection.NewConnection{Name: "Member's", Owner: p.Connector.Email, Maintainer: p.Member.Email})
	other := p.Connect(t, connection.NewConnection{Name: "Someone else's", Owner: p.Connector.Email, Maintainer: p.Second.Email})
	removeConnector(t, p, p.Connector)
	b := p.Ours.Browser()
	b.SignIn(t, p.Member.Email)
	status, _, page := b.Page(t, http.MethodGet, "/home/attention", nil)
	if status != http.StatusOK {
		t.Fatalf("member's home: %d\n%s", status, page)
	}
	if !strings.Contains(page, fmt.Sprintf(`id="attention-%d"`, mine.ID)) {
		t.Errorf("the member's own broken connection is not listed:\n%s", page)
	}
	if strings.Contains(page, fmt.Sprintf(`id="attention-%d"`, other.ID)) {
		t.Errorf("the member sees a connection they have nothing to do with")
	}
	if strings.Contains(page, ">Reconnect<") || strings.Contains(page, "/resume") {
		t.Errorf("the member is offered a change:\n%s", page)
	}
}

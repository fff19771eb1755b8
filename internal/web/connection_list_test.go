package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

var listedRow = regexp.MustCompile(`<tr id="connection-(\d+)">`)

// listed is the ids of the connections a list page shows, in order.
func listed(page string) []string {
	var ids []string
	for _, m := range listedRow.FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// The connections list filters by status, provider and owner, searches by
// name, and shows a member only their own connections.
func TestConnectionListFiltersAndSearches(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	sales := p.Connect(t, connection.NewConnection{Name: "Acme sales", Owner: p.Connector.Email})
	support := p.Connect(t, connection.NewConnection{Name: "Acme support", Owner: p.Second.Email, Maintainer: p.Member.Email})
	if _, err := p.Ours.Hub.Connections.Pause(t.Context(), p.Admin, support.ID); err != nil {
		t.Fatal(err)
	}
	id := func(ids ...int64) string {
		var s []string
		for _, i := range ids {
			s = append(s, fmt.Sprint(i))
		}
		return strings.Join(s, ",")
	}
	admin := p.Ours.Browser()
	admin.SignIn(t, p.Second.Email)
	for _, tc := range []struct{ query, want string }{
		{"", id(sales.ID, support.ID)},
		{"?status=paused", id(support.ID)},
		{"?status=active", id(sales.ID)},
		{"?provider=hubspot", id(sales.ID, support.ID)},
		{"?provider=postgres", ""},
		{fmt.Sprintf("?owner=%d", p.Connector.ID), id(sales.ID)},
		{"?q=SUPP", id(support.ID)},
		{"?q=acme&status=paused", id(support.ID)},
	} {
		status, _, page := admin.Page(t, http.MethodGet, "/connections"+tc.query, nil)
		if got := strings.Join(listed(page), ","); status != http.StatusOK || got != tc.want {
			t.Errorf("/connections%s: %d, rows %q, want %q", tc.query, status, got, tc.want)
		}
	}
	_, _, page := admin.Page(t, http.MethodGet, "/connections", nil)
	for _, want := range []string{"user OAuth", "connector@ours.example", "connector, active", `status-paused`, "acme<br>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the list lacks %q", want)
		}
	}

	member := p.Ours.Browser()
	member.SignIn(t, p.Member.Email)
	_, _, page = member.Page(t, http.MethodGet, "/connections", nil)
	if got := strings.Join(listed(page), ","); got != id(support.ID) {
		t.Errorf("a member sees rows %q, want only the one they maintain (%d)", got, support.ID)
	}
	if strings.Contains(page, `id="owner"`) {
		t.Errorf("a member is offered the owner filter over every user")
	}
}

// The list shows 50 connections a page with links to the others.
func TestConnectionListPages(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	seedConnections(t, env, 120, 0)
	b := env.Browser()
	b.SignIn(t, "boss@example.com")
	for _, tc := range []struct {
		query    string
		rows     int
		prev     bool
		next     bool
		pageText string
	}{
		{"", 50, false, true, "page 1 of 3"},
		{"?page=2", 50, true, true, "page 2 of 3"},
		{"?page=3", 20, true, false, "page 3 of 3"},
		{"?page=9", 20, true, false, "page 3 of 3"},
	} {
		_, _, page := b.Page(t, http.MethodGet, "/connections"+tc.query, nil)
		if n := len(listed(page)); n != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.query, n, tc.rows)
		}
		if strings.Contains(page, `rel="prev"`) != tc.prev || strings.Contains(page, `rel="next"`) != tc.next ||
			!strings.Contains(page, tc.pageText) {
			t.Errorf("%s: pager wrong (want prev %v next %v, %q)", tc.query, tc.prev, tc.next, tc.pageText)
		}
	}
}

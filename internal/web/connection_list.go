package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// connectionListView is one page of the connections list with its filter.
type connectionListView struct {
	connection.Found
	Filter    connection.Filter
	Statuses  []string
	Providers []string
	// Owners are the people the owner filter offers; empty for members,
	// who see only their own connections.
	Owners []store.User
	// Prev and Next are the neighbouring pages' addresses, "" at an end.
	Prev, Next string
}

var listStatuses = []string{connection.StatusActive, connection.StatusDegraded, connection.StatusNeedsReconnect,
	connection.StatusPaused}

// connectionList lists the connections the person sees, filtered by
// status, provider and owner, searched by name, 50 to a page.
func (c *Console) connectionList(v *visit) error {
	q := v.r.URL.Query()
	f := connection.Filter{Status: q.Get("status"), Provider: q.Get("provider"), Name: strings.TrimSpace(q.Get("q"))}
	if !slices.Contains(listStatuses, f.Status) {
		f.Status = ""
	}
	if !slices.Contains(connection.Providers(), f.Provider) {
		f.Provider = ""
	}
	f.OwnerID, _ = strconv.ParseInt(q.Get("owner"), 10, 64)
	f.Page, _ = strconv.Atoi(q.Get("page"))
	found, err := c.Connections.Find(v.r.Context(), &v.user, f)
	if err != nil {
		return err
	}
	view := connectionListView{Found: found, Filter: f, Statuses: listStatuses, Providers: connection.Providers()}
	if v.can().ViewAll {
		users, err := c.Identity.Users(v.r.Context())
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Status != identity.StatusRemoved {
				view.Owners = append(view.Owners, u)
			}
		}
	}
	view.Prev, view.Next = neighbours(found.Page, found.Pages, func(p int) string { return pageURL(q, p) })
	return c.show(v, http.StatusOK, "connections", "Connections", "connections", view)
}

// pageURL is the list's address with the same filter on another page.
func pageURL(q url.Values, page int) string {
	q = maps.Clone(q) // Set replaces a key's slice, so sharing the others is safe
	q.Set("page", strconv.Itoa(page))
	return "/connections?" + q.Encode()
}

package web

import (
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/connection"
)

// homeView is the needs-attention report, one page of its rows, with the
// statuses in the order the counts show them.
type homeView struct {
	connection.Attention
	Statuses []string
	// Needing is how many connections need attention, on every page.
	Needing     int
	Page, Pages int
	// Prev and Next are the neighbouring pages' addresses, "" at an end.
	Prev, Next string
}

// listPage is how many rows the home and review pages show at once: a
// page stays quick to render and to read with a thousand connections.
const listPage = 50

// pageRange is the rows [from, to) of page (from 1, clamped) of n rows.
func pageRange(n, page int) (from, to, p, pages int) {
	pages = max(1, (n+listPage-1)/listPage)
	p = min(max(page, 1), pages)
	from = (p - 1) * listPage
	return from, min(from+listPage, n), p, pages
}

// neighbours are the addresses of the pages before and after page (of
// pages), made by at; "" where there is none.
func neighbours(page, pages int, at func(page int) string) (prev, next string) {
	if page > 1 {
		prev = at(page - 1)
	}
	if page < pages {
		next = at(page + 1)
	}
	return prev, next
}

// homeStatuses are the statuses the counts show, worst first.
var homeStatuses = []string{connection.StatusNeedsReconnect, connection.StatusDegraded, connection.StatusPaused,
	connection.StatusActive}

func (c *Console) homeView(v *visit) (homeView, error) {
	at, err := c.Connections.Attention(v.r.Context(), &v.user)
	if err != nil {
		return homeView{}, err
	}
	page, _ := strconv.Atoi(v.r.URL.Query().Get("page"))
	view := homeView{Attention: at, Statuses: homeStatuses, Needing: len(at.Rows)}
	var from, to int
	from, to, view.Page, view.Pages = pageRange(len(at.Rows), page)
	view.Prev, view.Next = neighbours(view.Page, view.Pages, func(p int) string { return "/home?page=" + strconv.Itoa(p) })
	view.Rows = at.Rows[from:to]
	return view, nil
}

// homeShow is the home page: what needs a person, for everyone who signs in.
func (c *Console) homeShow(v *visit) error {
	view, err := c.homeView(v)
	if err != nil {
		return err
	}
	return c.show(v, http.StatusOK, "home", "Needs attention", "home", view)
}

// homeAttention is the home page's live part, which the page fetches every
// second to follow status changes without a reload.
func (c *Console) homeAttention(v *visit) error {
	view, err := c.homeView(v)
	if err != nil {
		return err
	}
	return c.part(v, "home", "attention", view)
}

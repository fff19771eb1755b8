package web

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/connection"
)

// homeView is the needs-attention report with the statuses in the order
// the counts show them.
type homeView struct {
	connection.Attention
	Statuses []string
}

// homeStatuses are the statuses the counts show, worst first.
var homeStatuses = []string{connection.StatusNeedsReconnect, connection.StatusDegraded, connection.StatusPaused,
	connection.StatusActive}

func (c *Console) homeView(v *visit) (homeView, error) {
	at, err := c.Connections.Attention(v.r.Context(), &v.user)
	return homeView{Attention: at, Statuses: homeStatuses}, err
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

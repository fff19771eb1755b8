package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
)

// reviewIntervalUpdate sets how many days a connection may go unreviewed.
func (c *Console) reviewIntervalUpdate(v *visit) error {
	days, err := strconv.Atoi(strings.TrimSpace(v.r.PostFormValue("days")))
	if err != nil {
		return fmt.Errorf("%w: the review interval is a whole number of days", connection.ErrInvalid)
	}
	if err := c.Connections.SetReviewInterval(v.r.Context(), v.actor(), days); err != nil {
		return err
	}
	return v.redirect("/review?notice=" + queryEscape(fmt.Sprintf("Connections are now due for review every %d days.", days)))
}

func queryEscape(s string) string { return url.QueryEscape(s) }

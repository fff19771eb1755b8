package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
)

// reviewView is the review report and the interval it flags overdue by.
type reviewView struct {
	Rows         []connection.ReviewRow
	IntervalDays int
	MaxDays      int
	// Overdue counts the rows flagged review_overdue.
	Overdue int
	// Total is how many connections the report has, on every page.
	Total       int
	Page, Pages int
	// Prev and Next are the neighbouring pages' addresses, "" at an end.
	Prev, Next string
}

func init() {
	// words shows a flag code as words: review_overdue → review overdue.
	funcs["words"] = func(code string) string { return strings.ReplaceAll(code, "_", " ") }
	// day is a date without the time, where the day is what matters.
	funcs["day"] = func(t time.Time) string { return t.UTC().Format("2006-01-02") }
}

// reviewShow is the access review: every connection with its owner, its
// flags and its last review, and "Mark reviewed" for those who manage.
func (c *Console) reviewShow(v *visit) error {
	ctx := v.r.Context()
	interval, err := c.Connections.ReviewInterval(ctx)
	if err != nil {
		return err
	}
	rows, err := c.Connections.Review(ctx, interval)
	if err != nil {
		return err
	}
	view := reviewView{Rows: rows, IntervalDays: int(interval / (24 * time.Hour)), MaxDays: connection.MaxReviewIntervalDays}
	for _, r := range rows {
		for _, f := range r.Flags {
			if f == connection.FlagReviewOverdue {
				view.Overdue++
			}
		}
	}
	page, _ := strconv.Atoi(v.r.URL.Query().Get("page"))
	var from, to int
	view.Total = len(rows)
	from, to, view.Page, view.Pages = pageRange(len(rows), page)
	view.Prev, view.Next = neighbours(view.Page, view.Pages, func(p int) string { return "/review?page=" + strconv.Itoa(p) })
	view.Rows = rows[from:to]
	return c.show(v, http.StatusOK, "review", "Review", "review", view)
}

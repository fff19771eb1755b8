package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// Marking a connection reviewed on the review page records who and when,
// in the review report and the audit log.
func TestReviewMarksAConnectionReviewed(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	c := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	ctx := webtest.Chrome(t)
	webtest.SignIn(t, ctx, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	row := fmt.Sprintf("#review-%d", c.ID)
	webtest.Do(t, ctx, "open the review", chromedp.Navigate(p.Ours.URL+"/review"), chromedp.WaitVisible(chromedp.CSS(row)))
	if got := webtest.Text(t, ctx, row+" td.reviewed"); !strings.Contains(got, "never") {
		t.Fatalf("a new connection shows as reviewed: %q", got)
	}
	webtest.Do(t, ctx, "mark it reviewed",
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#note-%d", c.ID)), "Still syncs the sales pipeline"),
		chromedp.Click(chromedp.CSS(row+" form.mark button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := webtest.Text(t, ctx, ".notice"); !strings.Contains(got, "marked reviewed by admin@example.com") {
		t.Errorf("the confirmation says %q", got)
	}
	got := webtest.Text(t, ctx, row+" td.reviewed")
	for _, want := range []string{"by admin@example.com", "Still syncs the sales pipeline"} {
		if !strings.Contains(got, want) {
			t.Errorf("the row's last review says %q, want %q in it", got, want)
		}
	}

	rows, err := p.Ours.Hub.Connections.Review(context.Background(), connection.DefaultReviewInterval)
	if err != nil || len(rows) != 1 {
		t.Fatalf("review: %v, %d rows", err, len(rows))
	}
	if r := rows[0].LastReview; r.Reviewer != "admin@example.com" || r.ReviewerID != p.Admin.ID || r.ReviewedAt.IsZero() {
		t.Errorf("the review report has last review %+v", r)
	}
	events, err := p.Ours.Hub.Audit.List(context.Background(), store.AuditQuery{TargetType: "connection",
		TargetID: strconv.FormatInt(c.ID, 10), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		found = found || (e.Action == "connection.reviewed" && e.Actor == "admin@example.com" && e.After["note"] == "Still syncs the sales pipeline")
	}
	if !found {
		t.Errorf("the audit log has no connection.reviewed by admin@example.com: %+v", events)
	}
}

// The review interval is a setting: a connection not reviewed within it is
// flagged review_overdue; a member may neither open the review nor mark.
func TestReviewIntervalAndRefusals(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	c := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	admin := p.Ours.Browser()
	admin.SignIn(t, p.Second.Email)
	_, _, page := admin.Page(t, http.MethodGet, "/review", nil)
	if !strings.Contains(page, `id="interval-days">90 days`) {
		t.Fatalf("the default interval is not shown as 90 days")
	}
	status, loc, body := admin.Page(t, http.MethodPost, "/review/interval", url.Values{"days": {"0"}, "csrf": {hubtest.CSRF(t, page)}})
	if status != http.StatusBadRequest || !strings.Contains(body, "1 to 3650 days") {
		t.Errorf("an interval of 0 days: %d %s", status, loc)
	}
	status, loc, _ = admin.Page(t, http.MethodPost, "/review/interval", url.Values{"days": {"30"}, "csrf": {hubtest.CSRF(t, page)}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/review?notice=") {
		t.Fatalf("set the interval: %d %s", status, loc)
	}
	if _, _, page := admin.Page(t, http.MethodGet, loc, nil); !strings.Contains(page, "every 30 days.</p>") {
		t.Errorf("the page after the change does not confirm it:\n%s", page)
	}
	// A notice a link from elsewhere carries is not the hub's to say.
	if _, _, page := admin.Page(t, http.MethodGet, "/review?notice="+url.QueryEscape("Your password expired: sign in at evil.example"), nil); strings.Contains(page, "evil.example") {
		t.Errorf("the review page shows a notice the hub did not write")
	}
	if d, _ := p.Ours.Hub.Connections.ReviewInterval(context.Background()); d != connection.DefaultReviewInterval/3 {
		t.Errorf("the interval is %v after setting 30 days", d)
	}

	member := p.Ours.Browser()
	member.SignIn(t, p.Member.Email)
	_, _, home := member.Page(t, http.MethodGet, "/home", nil)
	if status, _, _ := member.Page(t, http.MethodGet, "/review", nil); status != http.StatusForbidden {
		t.Errorf("a member opens the review: %d", status)
	}
	status, _, _ = member.Page(t, http.MethodPost, fmt.Sprintf("/review/%d/reviewed", c.ID), url.Values{"csrf": {hubtest.CSRF(t, home)}})
	if status != http.StatusForbidden {
		t.Errorf("a member's POST to mark reviewed: %d, want 403", status)
	}
	rows, err := p.Ours.Hub.Connections.Review(context.Background(), connection.DefaultReviewInterval)
	if err != nil || rows[0].LastReview.ID != 0 {
		t.Errorf("the refused mark was recorded: %v %+v", err, rows[0].LastReview)
	}
}

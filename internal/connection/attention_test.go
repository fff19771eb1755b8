package connection_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// concerns is what the needs-attention report says of connection id, by
// code; nil when it says nothing else. The bundle's connector is a member,
// so every connection carries owned_by_non_admin, left out here.
func (tb *testBundle) concerns(t *testing.T, viewer *store.User, id int64) []string {
	t.Helper()
	at, err := tb.b.Hub.Connections.Attention(context.Background(), viewer)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range at.Rows {
		if r.Connection.ID == id {
			var codes []string
			for _, c := range r.Concerns {
				if c.Code != connection.FlagNonAdminOwner {
					codes = append(codes, c.Code)
				}
			}
			return codes
		}
	}
	return nil
}

// A connection needs attention when it breaks, stays paused over a day,
// goes unreviewed past the interval; marking it reviewed clears that, and
// members see only the connections they run, own or maintain.
func TestAttentionFollowsStatusPauseAndReview(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	ctx := context.Background()
	c := tb.connect(t, connection.NewConnection{Owner: tb.connector.Email})
	if got := tb.concerns(t, nil, c.ID); got != nil {
		t.Fatalf("a new, healthy connection needs attention: %v", got)
	}

	if _, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	tb.clock.Advance(23 * time.Hour)
	if got := tb.concerns(t, nil, c.ID); got != nil {
		t.Errorf("paused for 23 hours: %v, want nothing yet", got)
	}
	tb.clock.Advance(2 * time.Hour)
	if got := strings.Join(tb.concerns(t, nil, c.ID), ","); got != connection.ConcernPausedLong {
		t.Errorf("paused for 25 hours: %q, want %s", got, connection.ConcernPausedLong)
	}
	if _, err := tb.b.Hub.Connections.Resume(ctx, tb.admin, c.ID); err != nil {
		t.Fatal(err)
	}

	tb.clock.Advance(90 * 24 * time.Hour)
	if got := tb.concerns(t, nil, c.ID); !strings.Contains(strings.Join(got, ","), connection.FlagReviewOverdue) {
		t.Errorf("unreviewed for 91 days: %v, want %s", got, connection.FlagReviewOverdue)
	}
	id := strconv.FormatInt(c.ID, 10)
	if status, body := tb.call(t, tb.viewer.Email, "POST", "/api/v1/connections/"+id+"/reviewed", nil); status != http.StatusForbidden {
		t.Errorf("a member without integrations.manage marks reviewed: %d %s", status, body)
	}
	status, body := tb.call(t, "admin@example.com", "POST", "/api/v1/connections/"+id+"/reviewed", map[string]string{"note": "checked"})
	if status != http.StatusOK || !strings.Contains(body, `"reviewed_by":"admin@example.com"`) {
		t.Fatalf("mark reviewed: %d %s", status, body)
	}
	if got := tb.concerns(t, nil, c.ID); strings.Contains(strings.Join(got, ","), connection.FlagReviewOverdue) {
		t.Errorf("after mark reviewed: %v", got)
	}
	status, body = tb.call(t, "admin@example.com", "GET", "/api/v1/review", nil)
	if status != http.StatusOK || !strings.Contains(body, `"last_reviewed_by":"admin@example.com"`) ||
		!strings.Contains(body, `"review_interval_days":90`) {
		t.Errorf("review after mark: %d %s", status, body)
	}
	status, body = tb.call(t, "admin@example.com", "PUT", "/api/v1/review/interval", map[string]int{"days": 0})
	if status != http.StatusBadRequest {
		t.Errorf("interval 0: %d %s", status, body)
	}

	// A failed last run, then runs that stop altogether.
	now := tb.clock.Now()
	setRuns := func(run, success time.Time) {
		t.Helper()
		err := tb.b.Hub.Store.Update(ctx, func(tx store.Tx) error {
			cur, err := tx.Connection(ctx, c.ID)
			if err != nil {
				return err
			}
			cur.LastRunAt, cur.LastSuccessAt, cur.LastUsedAt = run, success, run
			return tx.UpdateConnection(ctx, cur)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setRuns(now, now.Add(-time.Hour))
	if got := strings.Join(tb.concerns(t, nil, c.ID), ","); got != connection.ConcernRunsFailing {
		t.Errorf("after a failed run: %q, want %s", got, connection.ConcernRunsFailing)
	}
	setRuns(now, now)
	tb.clock.Advance(119 * time.Second)
	if got := tb.concerns(t, nil, c.ID); got != nil {
		t.Errorf("a success 119 s ago, schedule 1 minute: %v, want nothing", got)
	}
	tb.clock.Advance(2 * time.Second)
	if got := strings.Join(tb.concerns(t, nil, c.ID), ","); got != connection.ConcernNotSyncing {
		t.Errorf("no success for over twice the schedule: %q, want %s", got, connection.ConcernNotSyncing)
	}

	// Breaking it puts it first, with its reason; a member who has nothing
	// to do with it does not see it.
	if _, _, err := tb.b.Hub.Connections.Offboard(ctx, tb.admin, tb.b.Hub.Identity,
		connection.Offboarding{User: tb.connector.Email, Status: "removed", Force: true}); err != nil {
		t.Fatal(err)
	}
	if got := tb.concerns(t, nil, c.ID); len(got) == 0 || got[0] != connection.ReasonUserRemoved {
		t.Errorf("after removing the connector: %v, want %s first", got, connection.ReasonUserRemoved)
	}
	if got := tb.concerns(t, &tb.viewer, c.ID); got != nil {
		t.Errorf("a member who neither runs, owns nor maintains it sees it: %v", got)
	}
	for query, want := range map[string]string{"?status=needs_reconnect": `"total":1`, "?status=active": `"total":0`,
		"?status=gone": "status must be one of", "?q=ZZZ": `"total":0`, "?page=0": "page must be"} {
		if _, body := tb.call(t, "admin@example.com", "GET", "/api/v1/connections"+query, nil); !strings.Contains(body, want) {
			t.Errorf("GET /api/v1/connections%s: %s, want %s in it", query, body, want)
		}
	}
	status, body = tb.call(t, "admin@example.com", "GET", "/api/v1/attention", nil)
	if status != http.StatusOK || !strings.Contains(body, `"code":"connector_user_removed"`) || !strings.Contains(body, `"needs_reconnect":1`) {
		t.Errorf("GET /api/v1/attention: %d %s", status, body)
	}
}

package connection

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Why a connection needs a person, besides the reason codes of its status
// (reasons.go) and the review flags (review.go).
const (
	ConcernPausedLong  = "paused_long"
	ConcernRunsFailing = "runs_failing"
	ConcernNotSyncing  = "not_syncing"
)

// What a person does about a concern: the button a page offers.
const (
	ActionReconnect = "reconnect"
	ActionResume    = "resume"
	ActionTransfer  = "transfer"
	ActionReview    = "review"
	ActionOpen      = "open"
)

// PausedTooLong is how long a pause may last before it needs attention.
const PausedTooLong = 24 * time.Hour

// concerns is the catalog of what needs attention beyond a broken status:
// a sentence (with %s for a detail when it has one), the next step and the
// action that takes it.
var concerns = map[string]struct{ sentence, next, action string }{
	ConcernPausedLong: {"The connection has been paused for %s, so nothing syncs.",
		"Resume it, or delete it if it is no longer wanted.", ActionResume},
	ConcernRunsFailing: {"Its last sync run failed (last success: %s).",
		"Open the connection's runs to see the error, then run diagnose.", ActionOpen},
	ConcernNotSyncing: {"No sync run has succeeded for %s, over twice the schedule's interval.",
		"Open the connection and run diagnose; check that the hub's background work is running.", ActionOpen},
	FlagOwnerDeparted: {"Its owner %s was removed or deactivated.",
		"Transfer it to an active user or to app mode.", ActionTransfer},
	FlagNoOwner: {"Nobody owns it.", "Transfer it to a user who is accountable for it.", ActionTransfer},
	FlagNonAdminOwner: {"Its owner %s is a member, not an admin.",
		"Transfer it to an admin-level user, whose access is stable.", ActionTransfer},
	FlagMaintainerDeparted: {"Its maintainer %s was removed or deactivated.",
		"Name another maintainer on the connection's page.", ActionOpen},
	FlagStale: {"It has not been used for %s.",
		"Delete it if it is no longer wanted, or mark it reviewed.", ActionReview},
	FlagReviewOverdue: {"Nobody has reviewed it for %s; the review interval is %s.",
		"Review it: check that it is still wanted and in the right hands, then mark it reviewed.", ActionReview},
}

// Concern is one reason a connection needs attention.
type Concern struct {
	// Code is a reason code of the status, a review flag or a Concern*.
	Code     string
	Sentence string
	// Since is when it began; zero when unknown.
	Since  time.Time
	Next   string
	Action string
}

// AttentionRow is a connection that needs a person, with its concerns,
// the most pressing first.
type AttentionRow struct {
	Connection  store.Connection
	Integration store.Integration
	Owner       store.User
	Concerns    []Concern
}

// Attention is the needs-attention report: how many connections are in
// each status and those that need a person.
type Attention struct {
	// Counts are the connections (deleted ones aside) by status.
	Counts map[string]int
	Total  int
	Rows   []AttentionRow
}

// Sees reports whether viewer may see connection c: people who view
// integrations see every one, members those they run, own or maintain.
// A nil viewer is the command line, which sees everything. The console,
// the API and the lists all ask here.
func Sees(viewer *store.User, c store.Connection) bool {
	return viewer == nil || identity.CanViewIntegrations(*viewer) ||
		viewer.ID != 0 && (c.OwnerID == viewer.ID || c.MaintainerID == viewer.ID)
}

// Attention reports the connections viewer sees that need a person:
// broken ones (needs_reconnect, degraded), paused for over a day, whose
// runs fail, that have not synced within twice the schedule, or that the
// review flags (overdue included). Unused for the review interval counts as
// stale.
func (s *Service) Attention(ctx context.Context, viewer *store.User) (Attention, error) {
	var out Attention
	err := s.st.View(ctx, func(tx store.Tx) error {
		rows, interval, err := s.reviewByInterval(ctx, tx)
		if err != nil {
			return err
		}
		out = s.attention(rows, viewer, interval)
		return nil
	})
	return out, err
}

// reviewByInterval is the review report with the hub's review interval as
// the staleness bound, and that interval.
func (s *Service) reviewByInterval(ctx context.Context, tx store.Tx) ([]ReviewRow, time.Duration, error) {
	interval, err := reviewInterval(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.review(ctx, tx, interval)
	return rows, interval, err
}

func (s *Service) attention(rows []ReviewRow, viewer *store.User, interval time.Duration) Attention {
	now := s.clock()
	out := Attention{Counts: map[string]int{}}
	for _, r := range rows {
		c := r.Connection
		if !Sees(viewer, c) {
			continue
		}
		out.Counts[c.Status]++
		out.Total++
		var cs []Concern
		switch {
		case Broken(c.Status):
			action := ActionReconnect
			if c.Status == StatusDegraded {
				action = ActionOpen
			}
			cs = append(cs, Concern{Code: c.Reason, Sentence: c.ReasonMessage, Since: c.ReasonSince, Next: c.NextStep, Action: action})
		case c.Status == StatusPaused && now.Sub(c.StatusChangedAt) > PausedTooLong:
			cs = append(cs, concern(ConcernPausedLong, c.StatusChangedAt, span(now.Sub(c.StatusChangedAt))))
		case c.Status == StatusActive && c.LastRunAt.After(c.LastSuccessAt):
			cs = append(cs, concern(ConcernRunsFailing, c.LastSuccessAt, orNever(c.LastSuccessAt)))
		case c.Status == StatusActive && !c.LastRunAt.IsZero() && now.Sub(lastGood(c)) > 2*cmp.Or(s.tuning.Schedule, DefaultTuning.Schedule):
			cs = append(cs, concern(ConcernNotSyncing, lastGood(c), span(now.Sub(lastGood(c)))))
		}
		for _, f := range r.Flags {
			switch f {
			case FlagFailing: // the status says it, above
			case FlagOwnerDeparted, FlagNonAdminOwner:
				cs = append(cs, concern(f, time.Time{}, r.Owner.Email))
			case FlagMaintainerDeparted:
				cs = append(cs, concern(f, time.Time{}, r.Maintainer.Email))
			case FlagStale:
				used := cmp.Or(c.LastUsedAt, c.CreatedAt)
				cs = append(cs, concern(f, used, span(now.Sub(used))))
			case FlagReviewOverdue:
				since := reviewedSince(c, r.LastReview)
				cs = append(cs, concern(f, since, span(now.Sub(since)), span(interval)))
			default:
				cs = append(cs, concern(f, time.Time{}))
			}
		}
		if len(cs) > 0 {
			out.Rows = append(out.Rows, AttentionRow{Connection: c, Integration: r.Integration, Owner: r.Owner, Concerns: cs})
		}
	}
	// Broken first, then the longest-standing. Rows are large: sort their
	// order, then place them once.
	order := make([]int, len(out.Rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := &out.Rows[i], &out.Rows[j]
		return cmp.Or(-cmp.Compare(rank(a.Connection.Status), rank(b.Connection.Status)),
			a.Concerns[0].Since.Compare(b.Concerns[0].Since), cmp.Compare(a.Connection.ID, b.Connection.ID))
	})
	sorted := make([]AttentionRow, len(order))
	for k, i := range order {
		sorted[k] = out.Rows[i]
	}
	out.Rows = sorted
	return out
}

func rank(status string) int {
	switch status {
	case StatusNeedsReconnect:
		return 3
	case StatusDegraded:
		return 2
	case StatusPaused:
		return 1
	}
	return 0
}

func concern(code string, since time.Time, details ...any) Concern {
	k, ok := concerns[code]
	if !ok { // a review flag without its sentence yet still shows
		return Concern{Code: code, Sentence: "The review flags it " + code + ".", Since: since,
			Next: "Open the review and check it.", Action: ActionReview}
	}
	sentence := k.sentence
	if len(details) > 0 {
		sentence = fmt.Sprintf(sentence, details...)
	}
	return Concern{Code: code, Sentence: sentence, Since: since, Next: k.next, Action: k.action}
}

// lastGood is the last time a connection was known to sync: its last
// success, or when it was made or came back, if later.
func lastGood(c store.Connection) time.Time {
	t := c.LastSuccessAt
	for _, u := range []time.Time{c.RecoveredAt, c.CreatedAt} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

func orNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// span is a duration as a person reads it: minutes, hours or days.
func span(d time.Duration) string {
	switch {
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

package connection

import (
	"context"
	"fmt"
	"time"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Review flags.
const (
	FlagStale         = "stale"
	FlagNonAdminOwner = "owned_by_non_admin"
	FlagOwnerDeparted = "owner_departed"
	FlagFailing       = "failing"
	FlagNoOwner       = "no_owner"
	// FlagMaintainerDeparted is a maintainer who was removed or deactivated.
	FlagMaintainerDeparted = "maintainer_departed"
	// FlagReviewOverdue is a connection nobody marked reviewed within the
	// review interval (since it was created, when never).
	FlagReviewOverdue = "review_overdue"
)

// ReviewRow is one connection in the review report.
type ReviewRow struct {
	Connection  store.Connection
	Owner       store.User // zero when nobody owns it
	Maintainer  store.User // zero when nobody maintains it
	Integration store.Integration
	Flags       []string
	// LastReview is the newest review; zero when never reviewed.
	LastReview store.ConnectionReview
	// ReviewDue is when the connection is next due for review.
	ReviewDue time.Time
}

// Review reports every connection that is not deleted with its owner and
// the flags a periodic access review looks for. staleAfter is how long
// unused makes a connection stale; the review interval is the hub's
// setting (ReviewInterval).
func (s *Service) Review(ctx context.Context, staleAfter time.Duration) ([]ReviewRow, error) {
	var rows []ReviewRow
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		rows, err = s.review(ctx, tx, staleAfter)
		return err
	})
	return rows, err
}

// review reads the report in tx: a fixed handful of queries whatever the
// number of connections.
func (s *Service) review(ctx context.Context, tx store.Tx, staleAfter time.Duration) ([]ReviewRow, error) {
	now := s.clock()
	interval, err := reviewInterval(ctx, tx)
	if err != nil {
		return nil, err
	}
	conns, err := tx.Connections(ctx)
	if err != nil {
		return nil, err
	}
	// Read owners, integrations and reviews once, not once per connection.
	users, err := tx.Users(ctx)
	if err != nil {
		return nil, err
	}
	integrations, err := tx.Integrations(ctx)
	if err != nil {
		return nil, err
	}
	reviews, err := tx.LastConnectionReviews(ctx)
	if err != nil {
		return nil, err
	}
	userByID := make(map[int64]store.User, len(users))
	for _, u := range users {
		userByID[u.ID] = u
	}
	integrationByID := make(map[int64]store.Integration, len(integrations))
	for _, in := range integrations {
		integrationByID[in.ID] = in
	}
	reviewByID := make(map[int64]store.ConnectionReview, len(reviews))
	for _, r := range reviews {
		reviewByID[r.ConnectionID] = r
	}
	rows := make([]ReviewRow, 0, len(conns))
	for _, c := range conns {
		if c.Status == StatusDisconnected {
			continue
		}
		row := ReviewRow{Connection: c, LastReview: reviewByID[c.ID]}
		var ok bool
		if c.OwnerID != 0 {
			if row.Owner, ok = userByID[c.OwnerID]; !ok {
				return nil, fmt.Errorf("user %d: %w", c.OwnerID, store.ErrNotFound)
			}
		}
		if c.MaintainerID != 0 {
			if row.Maintainer, ok = userByID[c.MaintainerID]; !ok {
				return nil, fmt.Errorf("user %d: %w", c.MaintainerID, store.ErrNotFound)
			}
		}
		if row.Integration, ok = integrationByID[c.IntegrationID]; !ok {
			return nil, fmt.Errorf("integration %d: %w", c.IntegrationID, store.ErrNotFound)
		}
		row.Flags = flags(c, row.Owner, row.Maintainer, now, staleAfter)
		row.ReviewDue = reviewedSince(c, row.LastReview).Add(interval)
		if now.After(row.ReviewDue) {
			row.Flags = append(row.Flags, FlagReviewOverdue)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// reviewedSince is when a connection was last reviewed, or created when
// never: the start of the time it may go unreviewed.
func reviewedSince(c store.Connection, last store.ConnectionReview) time.Time {
	if last.ID != 0 {
		return last.ReviewedAt
	}
	return c.CreatedAt
}

func flags(c store.Connection, owner, maintainer store.User, now time.Time, staleAfter time.Duration) []string {
	var f []string
	lastUsed := c.LastUsedAt
	if lastUsed.IsZero() {
		lastUsed = c.CreatedAt
	}
	if now.Sub(lastUsed) > staleAfter {
		f = append(f, FlagStale)
	}
	switch {
	case owner.ID == 0:
		f = append(f, FlagNoOwner)
	case owner.Status != identity.StatusActive:
		f = append(f, FlagOwnerDeparted)
	case owner.Role == identity.RoleMember:
		f = append(f, FlagNonAdminOwner)
	}
	if maintainer.ID != 0 && maintainer.Status != identity.StatusActive {
		f = append(f, FlagMaintainerDeparted)
	}
	if Broken(c.Status) {
		f = append(f, FlagFailing)
	}
	return f
}

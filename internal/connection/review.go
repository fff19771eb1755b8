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
)

// ReviewRow is one connection in the review report.
type ReviewRow struct {
	Connection  store.Connection
	Owner       store.User // zero when nobody owns it
	Maintainer  store.User // zero when nobody maintains it
	Integration store.Integration
	Flags       []string
}

// Review reports every connection that is not deleted with its owner and
// the flags a periodic access review looks for. staleAfter is how long
// unused makes a connection stale.
func (s *Service) Review(ctx context.Context, staleAfter time.Duration) ([]ReviewRow, error) {
	var rows []ReviewRow
	now := s.clock()
	err := s.st.View(ctx, func(tx store.Tx) error {
		conns, err := tx.Connections(ctx)
		if err != nil {
			return err
		}
		// Read owners and integrations once, not once per connection.
		users, err := tx.Users(ctx)
		if err != nil {
			return err
		}
		integrations, err := tx.Integrations(ctx)
		if err != nil {
			return err
		}
		userByID := make(map[int64]store.User, len(users))
		for _, u := range users {
			userByID[u.ID] = u
		}
		integrationByID := make(map[int64]store.Integration, len(integrations))
		for _, in := range integrations {
			integrationByID[in.ID] = in
		}
		for _, c := range conns {
			if c.Status == StatusDisconnected {
				continue
			}
			row := ReviewRow{Connection: c}
			var ok bool
			if c.OwnerID != 0 {
				if row.Owner, ok = userByID[c.OwnerID]; !ok {
					return fmt.Errorf("user %d: %w", c.OwnerID, store.ErrNotFound)
				}
			}
			if c.MaintainerID != 0 {
				if row.Maintainer, ok = userByID[c.MaintainerID]; !ok {
					return fmt.Errorf("user %d: %w", c.MaintainerID, store.ErrNotFound)
				}
			}
			if row.Integration, ok = integrationByID[c.IntegrationID]; !ok {
				return fmt.Errorf("integration %d: %w", c.IntegrationID, store.ErrNotFound)
			}
			row.Flags = flags(c, row.Owner, row.Maintainer, now, staleAfter)
			rows = append(rows, row)
		}
		return nil
	})
	return rows, err
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
	if broken(c.Status) {
		f = append(f, FlagFailing)
	}
	return f
}

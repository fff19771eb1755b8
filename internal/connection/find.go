package connection

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// PageSize is how many connections a page of Find holds.
const PageSize = 50

// Filter selects connections for a list; zero fields select everything.
type Filter struct {
	Status   string
	Provider string
	// OwnerID selects the connections a user runs or owns.
	OwnerID int64
	// Name is a part of the name, compared without case.
	Name string
	// Page counts from 1.
	Page int
}

// Listed is a connection with the people and integration it names.
type Listed struct {
	Connection      store.Connection
	Integration     store.Integration
	Owner           store.User // zero when nobody owns it
	Maintainer      store.User
	LastReview      store.ConnectionReview
	ConnectorActive bool // user mode: the connector user is still active
}

// Found is one page of connections.
type Found struct {
	Rows []Listed
	// Total is how many match the filter, on every page.
	Total int
	Page  int
	Pages int
}

// Find lists the live connections viewer sees (Sees) that match f, by
// name, one page of PageSize at a time.
func (s *Service) Find(ctx context.Context, viewer *store.User, f Filter) (Found, error) {
	var out Found
	if err := f.check(); err != nil {
		return out, err
	}
	err := s.st.View(ctx, func(tx store.Tx) error {
		rows, _, err := s.reviewByInterval(ctx, tx)
		if err != nil {
			return err
		}
		name := strings.ToLower(strings.TrimSpace(f.Name))
		// Rows are large: filter and sort their indices, copy one page.
		var match []int
		keys := make([]string, len(rows))
		for i, r := range rows {
			c := r.Connection
			keys[i] = strings.ToLower(c.Name)
			switch {
			case !Sees(viewer, c),
				f.Status != "" && c.Status != f.Status,
				f.Provider != "" && r.Integration.Provider != f.Provider,
				f.OwnerID != 0 && c.OwnerID != f.OwnerID,
				name != "" && !strings.Contains(keys[i], name):
				continue
			}
			match = append(match, i)
		}
		slices.SortStableFunc(match, func(a, b int) int {
			return cmp.Or(strings.Compare(keys[a], keys[b]), cmp.Compare(rows[a].Connection.ID, rows[b].Connection.ID))
		})
		out.Total = len(match)
		out.Pages = max(1, (out.Total+PageSize-1)/PageSize)
		out.Page = min(max(f.Page, 1), out.Pages)
		from := (out.Page - 1) * PageSize
		for _, i := range match[from:min(from+PageSize, len(match))] {
			r := rows[i]
			out.Rows = append(out.Rows, Listed{Connection: r.Connection, Integration: r.Integration, Owner: r.Owner,
				Maintainer: r.Maintainer, LastReview: r.LastReview,
				ConnectorActive: r.Connection.AuthMode == ModeUser && r.Owner.ID != 0 && active(r.Owner)})
		}
		return nil
	})
	return out, err
}

func active(u store.User) bool { return u.Status == identity.StatusActive }

// Statuses a live connection may have, which Filter.Status may name.
var liveStatuses = []string{StatusActive, StatusDegraded, StatusNeedsReconnect, StatusPaused}

func (f Filter) check() error {
	switch {
	case f.Status != "" && !slices.Contains(liveStatuses, f.Status):
		return invalid("status must be one of %s", strings.Join(liveStatuses, ", "))
	case f.Provider != "" && !slices.Contains(Providers(), f.Provider):
		return invalid("provider must be one of %s", strings.Join(Providers(), ", "))
	case f.Page < 0:
		return invalid("page counts from 1")
	}
	return nil
}

package crm

import (
	"context"
	"strconv"

	"github.com/hubsync/hubsync/internal/store"
)

// MaxFeedLimit is the most change-feed entries one Changed call reads.
const MaxFeedLimit = 1000

// ChangedPage is one page of Changed.
type ChangedPage struct {
	Records []store.Record // as they are now, archived ones included
	// Position is the feed position to read on from: the sequence of the
	// last entry read, or the one asked from when none.
	Position string
	// More says the page read as many entries as it could: more may wait.
	More bool
}

// Changed reads the change feed after position (a sequence number, ""
// from the beginning), up to limit entries of every object type, and
// returns objectType's records those entries name, once each, in the
// order of their last entry read. The feed is appended to in sequence order under a lock, so a
// reader that moves its position to the last entry it saw never skips one
// that commits later: unlike a search by modification time it needs no
// overlap, and it sees creates, updates and archives in one stream.
func (s *Service) Changed(ctx context.Context, objectType, position string, limit int) (ChangedPage, error) {
	ot, err := LookupType(objectType)
	if err != nil {
		return ChangedPage{}, err
	}
	var after int64
	if position != "" {
		if after, err = strconv.ParseInt(position, 10, 64); err != nil || after < 0 {
			return ChangedPage{}, invalid(CodeInvalidCursor, "after %q is not a feed position this hub returned", position).with("after", position)
		}
	}
	if limit, err = checkLimit(limit, 100, MaxFeedLimit); err != nil {
		return ChangedPage{}, err
	}
	var page ChangedPage
	err = s.store.View(ctx, func(tx store.Tx) error {
		feed, err := tx.FeedIDs(ctx, ot.Name, after, limit)
		if err != nil {
			return err
		}
		page.Position, page.More = strconv.FormatInt(feed.Last, 10), feed.Read == limit
		if len(feed.IDs) == 0 {
			return nil
		}
		_, hidden, err := s.readSet(ctx, tx, ot)
		if err != nil {
			return err
		}
		recs, err := tx.Records(ctx, ot.Name, feed.IDs)
		if err != nil {
			return err
		}
		byID := make(map[int64]store.Record, len(recs))
		for _, r := range recs {
			byID[r.ID] = r
		}
		page.Records = make([]store.Record, 0, len(recs))
		for _, id := range feed.IDs {
			if r, ok := byID[id]; ok {
				page.Records = append(page.Records, r)
			}
		}
		hideArchived(page.Records, hidden)
		return nil
	})
	return page, err
}

// LastChangeSeq is the sequence of the newest change-feed entry, 0 when
// none.
func (s *Service) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		seq, err = tx.LastChangeSeq(ctx)
		return err
	})
	return seq, err
}

package sqlstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/hubsync/hubsync/internal/store"
)

// FeedIDs reads only the ids of the feed, never its JSON: a reader that
// wants the records as they are now reads them by id after. A record named
// twice takes the place of its last entry, since what is read is its state
// after that entry, so the ids come in the order of their records' last
// changes.
func (t *tx) FeedIDs(ctx context.Context, objectType string, afterSeq int64, limit int) (store.FeedPage, error) {
	page := store.FeedPage{Last: afterSeq}
	rows, err := t.query(ctx, `SELECT seq, object_type, record_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	last := map[int64]int64{} // record id: seq of its last entry
	for rows.Next() {
		var seq, id int64
		var object string
		if err := rows.Scan(&seq, &object, &id); err != nil {
			return page, err
		}
		page.Last, page.Read = seq, page.Read+1
		if object == objectType {
			if _, ok := last[id]; !ok {
				page.IDs = append(page.IDs, id)
			}
			last[id] = seq
		}
	}
	slices.SortFunc(page.IDs, func(a, b int64) int { return cmp.Compare(last[a], last[b]) })
	return page, rows.Err()
}

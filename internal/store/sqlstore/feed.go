package sqlstore

import (
	"context"

	"github.com/hubsync/hubsync/internal/store"
)

// FeedIDs reads only the ids of the feed, never its JSON: a reader that
// wants the records as they are now reads them by id after.
func (t *tx) FeedIDs(ctx context.Context, objectType string, afterSeq int64, limit int) (store.FeedPage, error) {
	page := store.FeedPage{Last: afterSeq}
	rows, err := t.query(ctx, `SELECT seq, object_type, record_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	seen := map[int64]bool{}
	for rows.Next() {
		var seq, id int64
		var object string
		if err := rows.Scan(&seq, &object, &id); err != nil {
			return page, err
		}
		page.Last, page.Read = seq, page.Read+1
		if object == objectType && !seen[id] {
			seen[id] = true
			page.IDs = append(page.IDs, id)
		}
	}
	return page, rows.Err()
}

package sqlstore

import (
	"context"

	"github.com/hubsync/hubsync/internal/store"
)

// ChangeRefs skips the props column: the sync engine reads the records the
// changes name, and decoding every change's values was a fifth of reading
// the feed.
func (t *tx) ChangeRefs(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	rows, err := t.query(ctx, `SELECT seq, object_type, record_id, kind, source, at
		FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cs := make([]store.Change, 0, min(limit, 4096))
	for rows.Next() {
		var c store.Change
		var at int64
		if err := rows.Scan(&c.Seq, &c.ObjectType, &c.RecordID, &c.Kind, &c.Source, &at); err != nil {
			return nil, err
		}
		c.At = fromMS(at)
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

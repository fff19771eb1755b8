package sqlstore

import (
	"context"

	"github.com/hubsync/hubsync/internal/store"
)

func (t *tx) AddConnectionReview(ctx context.Context, r store.ConnectionReview) (store.ConnectionReview, error) {
	err := t.queryRow(ctx, `INSERT INTO connection_reviews (connection_id, reviewer_id, reviewer, reviewed_at, note)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		r.ConnectionID, r.ReviewerID, r.Reviewer, ms(r.ReviewedAt), r.Note).Scan(&r.ID)
	r.ReviewedAt = stored(r.ReviewedAt)
	return r, err
}

// LastConnectionReviews reads one row per connection through the index on
// (connection_id, id): the newest review is the one with the highest id.
func (t *tx) LastConnectionReviews(ctx context.Context) ([]store.ConnectionReview, error) {
	rows, err := t.query(ctx, `SELECT r.id, r.connection_id, r.reviewer_id, r.reviewer, r.reviewed_at, r.note
		FROM connection_reviews r
		JOIN (SELECT connection_id, max(id) AS id FROM connection_reviews GROUP BY connection_id) newest ON newest.id = r.id
		ORDER BY r.connection_id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, func(row interface{ Scan(...any) error }) (store.ConnectionReview, error) {
		var r store.ConnectionReview
		var at int64
		err := row.Scan(&r.ID, &r.ConnectionID, &r.ReviewerID, &r.Reviewer, &at, &r.Note)
		r.ReviewedAt = fromMS(at)
		return r, err
	})
}

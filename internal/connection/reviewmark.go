package connection

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// DefaultReviewInterval is how long a connection may go unreviewed before
// it is flagged review_overdue, until an admin sets another interval.
const DefaultReviewInterval = 90 * 24 * time.Hour

// metaReviewInterval holds the review interval in whole days.
const metaReviewInterval = "review_interval_days"

// MaxReviewIntervalDays bounds the review interval: a review a decade
// apart is no review.
const MaxReviewIntervalDays = 3650

// ReviewInterval is how long a connection may go unreviewed.
func (s *Service) ReviewInterval(ctx context.Context) (time.Duration, error) {
	var d time.Duration
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		d, err = reviewInterval(ctx, tx)
		return err
	})
	return d, err
}

func reviewInterval(ctx context.Context, tx store.Tx) (time.Duration, error) {
	v, err := tx.Meta(ctx, metaReviewInterval)
	if errors.Is(err, store.ErrNotFound) {
		return DefaultReviewInterval, nil
	}
	if err != nil {
		return 0, err
	}
	days, err := strconv.Atoi(v)
	if err != nil || days < 1 {
		return DefaultReviewInterval, nil
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// SetReviewInterval sets how many days a connection may go unreviewed.
func (s *Service) SetReviewInterval(ctx context.Context, a audit.Actor, days int) error {
	if days < 1 || days > MaxReviewIntervalDays {
		return fmt.Errorf("%w: the review interval must be 1 to %d days", ErrInvalid, MaxReviewIntervalDays)
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		before, err := reviewInterval(ctx, tx)
		if err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, metaReviewInterval, strconv.Itoa(days)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock(), a, "review.interval", "setting", metaReviewInterval,
			map[string]string{"days": strconv.Itoa(int(before / (24 * time.Hour)))}, map[string]string{"days": strconv.Itoa(days)})
	})
}

// MaxReviewNote bounds a review's note.
const MaxReviewNote = 500

// MarkReviewed records that a person reviewed connection id now: it is
// still wanted and in the right hands. The note says what they checked.
func (s *Service) MarkReviewed(ctx context.Context, a audit.Actor, id int64, note string) (store.ConnectionReview, error) {
	note = strings.TrimSpace(note)
	if len(note) > MaxReviewNote {
		return store.ConnectionReview{}, fmt.Errorf("%w: a review note is at most %d bytes", ErrInvalid, MaxReviewNote)
	}
	var r store.ConnectionReview
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		if c.Status == StatusDisconnected {
			return fmt.Errorf("%w: connection %d was deleted; there is nothing to review", ErrInvalid, id)
		}
		now := s.clock()
		if r, err = tx.AddConnectionReview(ctx, store.ConnectionReview{ConnectionID: id, ReviewerID: a.ID,
			Reviewer: a.Label, ReviewedAt: now, Note: note}); err != nil {
			return err
		}
		after := map[string]string{"reviewed_at": r.ReviewedAt.Format(time.RFC3339)}
		if note != "" {
			after["note"] = note
		}
		return audit.Record(ctx, tx, now, a, "connection.reviewed", "connection", strconv.FormatInt(id, 10), nil, after)
	})
	return r, err
}

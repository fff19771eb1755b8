package connection

import (
	"context"
	"errors"

	"github.com/hubsync/hubsync/internal/store"
)

// Summary is a connection with what it refers to by id, for people to read:
// its integration, its owner, maintainer and creator, its object syncs and
// its newest run.
type Summary struct {
	Connection  store.Connection
	Integration store.Integration
	// Owner, Maintainer and CreatedBy are zero when nobody is named (the
	// command line created it, say).
	Owner, Maintainer, CreatedBy store.User
	Syncs                        []store.ObjectSync
	// LastRun is nil before the first run.
	LastRun *store.SyncRun
}

// Summarize reads connection id and what it refers to in one view.
func (s *Service) Summarize(ctx context.Context, id int64) (Summary, error) {
	var sum Summary
	err := s.st.View(ctx, func(tx store.Tx) error {
		c, err := tx.Connection(ctx, id)
		if err != nil {
			return err
		}
		sum.Connection = c
		if sum.Integration, err = tx.Integration(ctx, c.IntegrationID); err != nil {
			return err
		}
		for _, p := range []struct {
			id  int64
			dst *store.User
		}{{c.OwnerID, &sum.Owner}, {c.MaintainerID, &sum.Maintainer}, {c.CreatedBy, &sum.CreatedBy}} {
			if *p.dst, err = person(ctx, tx, p.id); err != nil {
				return err
			}
		}
		if sum.Syncs, err = tx.ObjectSyncs(ctx, id); err != nil {
			return err
		}
		runs, err := tx.SyncRuns(ctx, id, 1)
		if len(runs) == 1 {
			sum.LastRun = &runs[0]
		}
		return err
	})
	return sum, err
}

// person reads user id, or none for id 0 or a user no longer stored.
func person(ctx context.Context, tx store.Tx, id int64) (store.User, error) {
	if id == 0 {
		return store.User{}, nil
	}
	u, err := tx.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{ID: id}, nil
	}
	return u, err
}

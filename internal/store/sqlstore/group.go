package sqlstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/hubsync/hubsync/internal/store"
)

// On SQLite every write goes through one connection, so concurrent batch
// writes queue for it and each pays a commit of its own: about a quarter of
// a batch create, mostly one write of every page it dirtied. Writes that
// queue while the writer is busy are therefore done together in one
// transaction, each in a savepoint of its own, so one caller's failure
// undoes only its own work and each gets its own answer.

// maxGroup bounds the writes one commit carries, and so the wait of the
// last of them.
const maxGroup = 16

// groupCall is one write waiting to be done.
type groupCall struct {
	ctx  context.Context
	fn   func(store.Tx) error
	err  error
	done chan struct{}
	lead chan struct{} // closed when this call is to run the next group
}

// group is the queue of writes waiting for the writer.
type group struct {
	mu    sync.Mutex
	queue []*groupCall
	busy  bool // a call is running a group
}

// UpdateGrouped is Update, except that on a store with one writer a call
// may share its transaction and commit with other calls made at the same
// time. fn runs inside a savepoint: when it fails only its own writes are
// undone. The caller's context is checked before fn runs but must not
// interrupt it once it started, since interrupting SQLite mid-statement
// rolls back the other calls' writes too: fn's statements run with a
// context the caller cannot cancel.
func (s *Store) UpdateGrouped(ctx context.Context, fn func(store.Tx) error) error {
	if s.write == s.read {
		// Several writer connections commit in parallel already.
		return s.Update(ctx, fn)
	}
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan struct{}), lead: make(chan struct{})}
	s.group.mu.Lock()
	s.group.queue = append(s.group.queue, c)
	if !s.group.busy {
		s.group.busy = true
		close(c.lead)
	}
	s.group.mu.Unlock()
	// The call waits for its answer whatever its context says: once queued
	// its write may already be in a transaction that commits.
	select {
	case <-c.done:
		return c.err
	case <-c.lead:
	}
	s.lead(ctx)
	<-c.done
	return c.err
}

// lead runs the calls queued now, this one first, then hands the writer to
// the next waiting call.
func (s *Store) lead(ctx context.Context) {
	g := &s.group
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	calls := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	s.runGroup(context.WithoutCancel(ctx), calls)

	g.mu.Lock()
	if len(g.queue) > 0 {
		close(g.queue[0].lead)
	} else {
		g.busy = false
	}
	g.mu.Unlock()
}

// runGroup writes calls in one transaction and answers each.
func (s *Store) runGroup(ctx context.Context, calls []*groupCall) {
	defer func() {
		for _, c := range calls {
			close(c.done)
		}
	}()
	if len(calls) == 1 {
		// Alone, the transaction is the call's own: no savepoint needed.
		c := calls[0]
		if c.err = c.ctx.Err(); c.err == nil {
			c.err = s.run(ctx, s.write, s.writeStmts, nil, true, guarded(c.fn))
		}
		return
	}
	err := s.run(ctx, s.write, s.writeStmts, nil, true, func(t store.Tx) error {
		for _, c := range calls {
			if err := inSavepoint(ctx, t.(*tx), c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Nothing was committed: every call fails, with the first error
		// its own and the transaction's for the others.
		for _, c := range calls {
			if c.err == nil {
				c.err = err
			}
		}
	}
}

// inSavepoint runs one call's fn inside a savepoint and records its error.
// It returns an error only when the transaction itself cannot go on.
func inSavepoint(ctx context.Context, t *tx, c *groupCall) error {
	if c.err = c.ctx.Err(); c.err != nil {
		return nil
	}
	if _, err := t.exec(ctx, "SAVEPOINT grouped"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	inserted := t.inserted
	if c.err = guarded(c.fn)(t); c.err != nil {
		t.inserted = inserted
		if _, err := t.exec(ctx, "ROLLBACK TO grouped"); err != nil {
			return fmt.Errorf("roll back to savepoint: %w", err)
		}
	}
	if _, err := t.exec(ctx, "RELEASE grouped"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// guarded turns a panic of fn into its error: fn may run on another
// caller's goroutine, and a panic there must not leave the writer's queue
// waiting for a leader that is gone.
func guarded(fn func(store.Tx) error) func(store.Tx) error {
	return func(t store.Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("write panicked: %v", p)
			}
		}()
		return fn(t)
	}
}

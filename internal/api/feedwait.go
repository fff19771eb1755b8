package api

import (
	"context"
	"sync"
	"time"
)

// Waiting for the change feed to move, for change listings that ask to
// wait (changelist.go). One goroutine, running only while someone waits,
// reads the feed's newest sequence every feedWaitTick and wakes every
// waiter when it moves: a hundred waiting readers cost one small query a
// tick, not a hundred. It reads the store, so writes made by other
// replicas of the hub wake it too.

// Bounds of waiting: how long one listing may wait, how many may wait at
// once (more answer at once, as without waiting), and how often the feed
// is looked at.
const (
	maxFeedWait    = 25 * time.Second
	maxFeedWaiters = 512
	feedWaitTick   = 100 * time.Millisecond
)

type feedWaiter struct {
	head func(ctx context.Context) (int64, error)

	mu      sync.Mutex
	waiters int
	running bool
	last    int64
	moved   chan struct{} // closed, and replaced, when the head moves
}

func newFeedWaiter(head func(ctx context.Context) (int64, error)) *feedWaiter {
	return &feedWaiter{head: head, moved: make(chan struct{})}
}

// wait returns once the feed holds an entry after seq, after d, when ctx
// ends or when stop closes, whichever comes first; at once when too many
// wait already.
func (w *feedWaiter) wait(ctx context.Context, seq int64, d time.Duration, stop <-chan struct{}) {
	w.mu.Lock()
	if w.waiters >= maxFeedWaiters {
		w.mu.Unlock()
		return
	}
	w.waiters++
	if !w.running {
		w.running = true
		go w.watch()
	}
	moved := w.moved
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.waiters--
		w.mu.Unlock()
	}()
	// An entry may have landed between the caller's read and now, before
	// the watcher's last look: look once more before sleeping.
	if head, err := w.head(ctx); err != nil || head > seq {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-moved:
	case <-t.C:
	case <-ctx.Done():
	case <-stop:
	}
}

// watch looks at the feed until no one waits.
func (w *feedWaiter) watch() {
	t := time.NewTicker(feedWaitTick)
	defer t.Stop()
	for range t.C {
		w.mu.Lock()
		if w.waiters == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		head, err := w.head(ctx)
		cancel()
		if err != nil {
			continue
		}
		w.mu.Lock()
		if head != w.last {
			w.last = head
			close(w.moved)
			w.moved = make(chan struct{})
		}
		w.mu.Unlock()
	}
}

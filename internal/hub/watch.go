package hub

import (
	"context"
	"sync"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// Watching external apps instead of polling them. A connector that can
// wait for the other side's changes (another hubsync's change listing)
// gets one watcher per connection: a long call that the other side
// answers when its feed moves, or after watchWait. A change then starts a
// run at once, and an idle connection makes one call per watchWait
// instead of a run per poll interval. Polling goes on, every
// watchedPollEvery, as a safety net; a connection whose connector cannot
// wait, or whose cursor does not read a change listing yet (before its
// first run), or whose wait fails, is polled as before and tried again
// after noWatchFor.

// changeWaiter is a connector that can wait for changes after a cursor;
// ok is false when it cannot for this cursor.
type changeWaiter interface {
	WaitForChanges(ctx context.Context, t connector.Target, cred connector.Credential, object, cursor string, wait time.Duration) (moved, ok bool, err error)
}

const (
	watchWait        = 25 * time.Second
	watchedPollEvery = 5 * time.Minute
	noWatchFor       = 15 * time.Second
	// cursorWait bounds how long a watcher waits for the run it started to
	// move the cursor before it waits on the other side again.
	cursorWait = 2 * time.Second
)

// watchers are the running watchers of this process.
type watchers struct {
	mu      sync.Mutex
	cancel  map[int64]context.CancelFunc
	active  map[int64]bool      // waiting on the other side, so polls may be rare
	retryAt map[int64]time.Time // no watcher before then
	wg      sync.WaitGroup
}

func newWatchers() *watchers {
	return &watchers{cancel: map[int64]context.CancelFunc{}, active: map[int64]bool{}, retryAt: map[int64]time.Time{}}
}

// watched says whether a watcher of id waits on the other side now.
func (w *watchers) watched(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.active[id]
}

// keep runs a watcher for each of ids not yet watched (nor resting), and
// stops those of connections not in ids.
func (w *watchers) keep(ctx context.Context, h *Hub, ids map[int64]time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for id, stop := range w.cancel {
		if _, ok := ids[id]; !ok {
			stop()
			delete(w.cancel, id)
		}
	}
	for id := range ids {
		if _, running := w.cancel[id]; running || now.Before(w.retryAt[id]) {
			continue
		}
		wctx, stop := context.WithCancel(ctx)
		w.cancel[id] = stop
		w.wg.Go(func() {
			h.watchConnection(wctx, w, id)
			stop()
		})
	}
}

// ended records that id's watcher stopped; the next keep after rest may
// start another.
func (w *watchers) ended(id int64, rest time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.cancel, id)
	delete(w.active, id)
	w.retryAt[id] = time.Now().Add(rest)
}

func (w *watchers) setActive(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active[id] = true
}

// watchConnection waits on the other side of connection id until ctx ends
// or waiting does not work; see the top of this file.
func (h *Hub) watchConnection(ctx context.Context, w *watchers, id int64) {
	for ctx.Err() == nil {
		sess, err := h.Connections.Open(ctx, id)
		if err != nil {
			w.ended(id, noWatchFor)
			return
		}
		waiter, ok := sess.Connector.(changeWaiter)
		if !ok {
			w.ended(id, time.Hour)
			return
		}
		os, cursor, err := h.inboundCursor(ctx, id)
		if err != nil || os.ID == 0 {
			w.ended(id, noWatchFor)
			return
		}
		// Counted as watched while it waits, so the poller holds off; a
		// wait that cannot be made ends the watcher, which counts no more.
		w.setActive(id)
		moved, ok, err := waiter.WaitForChanges(ctx, sess.Target, sess.Credential, os.ExternalObject, cursor, watchWait)
		if err != nil || !ok {
			if ctx.Err() == nil && err != nil {
				h.log.Debug("waiting for an external app's changes failed; polling it", "connection", id, "error", err)
			}
			w.ended(id, noWatchFor)
			return
		}
		if !moved {
			continue
		}
		if err := h.Enqueue(ctx, id, syncer.TriggerPoll); err != nil {
			w.ended(id, noWatchFor)
			return
		}
		h.awaitCursor(ctx, os.ID, cursor)
	}
	w.ended(id, 0)
}

// inboundCursor is the app cursor of the connection's first enabled
// object sync that brings changes into the hub. The other side's feed is
// one stream for every object type, so it moves for any of them.
func (h *Hub) inboundCursor(ctx context.Context, id int64) (store.ObjectSync, string, error) {
	var os store.ObjectSync
	var cursor string
	err := h.Store.View(ctx, func(tx store.Tx) error {
		syncs, err := tx.ObjectSyncs(ctx, id)
		if err != nil {
			return err
		}
		for _, s := range syncs {
			if s.Enabled && s.Direction != store.DirectionToApp {
				os = s
				cursor, err = tx.SyncCursor(ctx, s.ID, store.SideApp)
				return err
			}
		}
		return nil
	})
	return os, cursor, err
}

// awaitCursor returns once the object sync's app cursor is no longer
// cursor (the run started has read on), or after cursorWait.
func (h *Hub) awaitCursor(ctx context.Context, syncID int64, cursor string) {
	deadline := time.Now().Add(cursorWait)
	for time.Now().Before(deadline) {
		var now string
		err := h.Store.View(ctx, func(tx store.Tx) (err error) {
			now, err = tx.SyncCursor(ctx, syncID, store.SideApp)
			return err
		})
		if err != nil || now != cursor {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

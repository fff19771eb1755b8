package hub

import (
	"context"
	"sync"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
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

// oneStream is a connector whose wait on one object's cursor hears the
// changes of every object (another hubsync's change listing is one feed).
// A connector without it waits on one object only (a PostgreSQL table),
// so a connection bringing in several objects through it is polled.
type oneStream interface {
	OneChangeStream() bool
}

// waitsForAll says whether waiting on one of n inbound object syncs
// through c hears them all.
func waitsForAll(c any, n int) bool {
	s, ok := c.(oneStream)
	return n <= 1 || ok && s.OneChangeStream()
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
	running map[int64]*watch
	active  map[int64]bool      // waiting on the other side, so polls may be rare
	retryAt map[int64]time.Time // no watcher before then
	wg      sync.WaitGroup
}

func newWatchers() *watchers {
	return &watchers{running: map[int64]*watch{}, active: map[int64]bool{}, retryAt: map[int64]time.Time{}}
}

// watch is one watcher of a connection. A stopped watcher may still be
// finishing its wait when keep starts the next one for the same
// connection; the old one's end must not erase the new one.
type watch struct{ stop context.CancelFunc }

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
	for id, wt := range w.running {
		if _, ok := ids[id]; !ok {
			wt.stop()
			delete(w.running, id)
			delete(w.active, id)
		}
	}
	for id := range ids {
		if _, running := w.running[id]; running || now.Before(w.retryAt[id]) {
			continue
		}
		wctx, stop := context.WithCancel(ctx)
		wt := &watch{stop: stop}
		w.running[id] = wt
		w.wg.Go(func() {
			h.watchConnection(wctx, w, id, wt)
			stop()
		})
	}
}

// ended records that id's watcher stopped; the next keep after rest may
// start another.
func (w *watchers) ended(id int64, wt *watch, rest time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running[id] != wt {
		return // stopped by keep, which may have started another since
	}
	delete(w.running, id)
	delete(w.active, id)
	w.retryAt[id] = time.Now().Add(rest)
}

func (w *watchers) setActive(id int64, wt *watch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running[id] == wt {
		w.active[id] = true
	}
}

// watchConnection waits on the other side of connection id until ctx ends
// or waiting does not work; see the top of this file.
func (h *Hub) watchConnection(ctx context.Context, w *watchers, id int64, wt *watch) {
	var at waitPoint
	for ctx.Err() == nil {
		if at.stale() {
			var rest time.Duration
			if at, rest = h.waitPointOf(ctx, id); rest > 0 {
				w.ended(id, wt, rest)
				return
			}
		}
		// Counted as watched while it waits, so the poller holds off; a
		// wait that cannot be made ends the watcher, which counts no more.
		w.setActive(id, wt)
		moved, ok, err := at.waiter.WaitForChanges(ctx, at.sess.Target, at.sess.Credential, at.os.ExternalObject, at.cursor, watchWait)
		if err != nil || !ok {
			if ctx.Err() == nil && err != nil {
				h.log.Debug("waiting for an external app's changes failed; polling it", "connection", id, "error", err)
			}
			w.ended(id, wt, noWatchFor)
			return
		}
		if !moved {
			// Nothing changed, so the same session and cursor wait again:
			// an idle connection costs one call per watchWait and nothing
			// more.
			continue
		}
		if err := h.Enqueue(ctx, id, syncer.TriggerPoll); err != nil {
			w.ended(id, wt, noWatchFor)
			return
		}
		h.awaitCursor(ctx, at.os.ID, at.cursor)
		at = waitPoint{}
	}
	w.ended(id, wt, 0)
}

// waitPoint is what a watcher waits with: the connection's session (its
// credential) and the cursor of its inbound object sync.
type waitPoint struct {
	sess   connection.Session
	waiter changeWaiter
	os     store.ObjectSync
	cursor string
	opened time.Time
}

// reopenEvery bounds how long a watcher waits with one session, so a
// credential the connection's runs renewed is taken up.
const reopenEvery = 5 * time.Minute

func (p waitPoint) stale() bool { return p.opened.IsZero() || time.Since(p.opened) > reopenEvery }

// waitPointOf opens connection id to wait on it, or says how long to rest
// first when it cannot be waited on.
func (h *Hub) waitPointOf(ctx context.Context, id int64) (waitPoint, time.Duration) {
	sess, err := h.Connections.Open(ctx, id)
	if err != nil {
		return waitPoint{}, noWatchFor
	}
	waiter, ok := sess.Connector.(changeWaiter)
	if !ok {
		return waitPoint{}, time.Hour
	}
	os, cursor, inbound, err := h.inboundCursor(ctx, id)
	if err != nil || os.ID == 0 {
		return waitPoint{}, noWatchFor
	}
	if !waitsForAll(sess.Connector, inbound) {
		return waitPoint{}, watchedPollEvery
	}
	return waitPoint{sess: sess, waiter: waiter, os: os, cursor: cursor, opened: time.Now()}, 0
}

// inboundCursor is the app cursor of the connection's first enabled
// object sync that brings changes into the hub, and how many such syncs
// it has (see oneStream).
func (h *Hub) inboundCursor(ctx context.Context, id int64) (os store.ObjectSync, cursor string, inbound int, err error) {
	err = h.Store.View(ctx, func(tx store.Tx) error {
		syncs, err := tx.ObjectSyncs(ctx, id)
		if err != nil {
			return err
		}
		for _, s := range syncs {
			if !s.Enabled || s.Direction == store.DirectionToApp {
				continue
			}
			if inbound++; inbound == 1 {
				os = s
				if cursor, err = tx.SyncCursor(ctx, s.ID, store.SideApp); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return os, cursor, inbound, err
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

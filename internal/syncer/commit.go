package syncer

import (
	"context"
	"errors"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// commit makes a step's writes and then, in one transaction, the hub's
// writes, the links of every pair whose writes all succeeded, and the
// cursor of side. External writes come first: if the process dies after
// them, the step is read again and the writes repeat as updates (creates
// carry an idempotency key), never as duplicates.
func (e *Engine) commit(ctx context.Context, r *run, os store.ObjectSync, p *plan, side, cursor string) error {
	if err := e.stage(ctx, r, os, p); err != nil {
		return err
	}
	if err := e.crashPoint("before_app_write"); err != nil {
		return err
	}
	if err := e.writeApp(ctx, r, os, p); err != nil {
		return err
	}
	if err := e.crashPoint("after_app_write"); err != nil {
		return err
	}
	err := e.hubTx(ctx, r, os.HubObject, func(tx store.Tx) error {
		if err := e.writeHub(ctx, tx, r, os, p, side, cursor); err != nil {
			return err
		}
		return e.crashPoint("in_hub_tx")
	})
	if !errors.Is(err, store.ErrAlreadyExists) {
		if err == nil {
			e.progress(ctx, r)
		}
		return err
	}
	// A unique value was taken: the transaction is spent, so each hub
	// write goes alone and a refused one is quarantined.
	for _, ref := range p.order {
		pr := p.pairs[ref]
		if pr.hub == nil {
			continue
		}
		one := &plan{pairs: map[string]*pair{ref: pr}, order: []string{ref}}
		err := e.hubTx(ctx, r, os.HubObject, func(tx store.Tx) error { return e.writeHub(ctx, tx, r, os, one, "", "") })
		if errors.Is(err, store.ErrAlreadyExists) {
			e.quarantine(ctx, r, os, store.SideHub, pr, "unique_value_taken", "a unique value of this record is held by another hub record")
			err = nil
		}
		if err != nil {
			return err
		}
		pr.hub, pr.link.HubID = nil, -1 // done, or quarantined: nothing left to store
	}
	return e.hubTx(ctx, r, os.HubObject, func(tx store.Tx) error { return e.writeHub(ctx, tx, r, os, p, side, cursor) })
}

// hubTx runs fn, a step's hub writes with their links and cursor, in a
// transaction that first holds the connection's generation: they commit
// only while the run may still sync object under the settings it started
// with, and a break or a change of an object sync that commits meanwhile
// waits for them (they were under way when it came).
func (e *Engine) hubTx(ctx context.Context, r *run, object string, fn func(tx store.Tx) error) error {
	for {
		err := e.st.Update(ctx, func(tx store.Tx) error {
			if err := e.conns.Hold(ctx, tx, &r.sess); err != nil {
				return err
			}
			return fn(tx)
		})
		if !errors.Is(err, connection.ErrMoved) {
			return err
		}
		// Something changed: see whether it ends the run's right to
		// write, which takes the reads Hold avoids.
		if err := e.mayWrite(ctx, r, object); err != nil {
			return err
		}
	}
}

// mayWrite is the check before a run's external batch, and the one a hub
// write transaction makes when the generation it holds has moved.
func (e *Engine) mayWrite(ctx context.Context, r *run, object string) error {
	return e.conns.MayWrite(ctx, &r.sess, object, func(tx store.Tx) error { return e.settingsKept(ctx, tx, r) })
}

// stage stores, before the external writes, what they are about to do: a
// create's link with the values sent and its idempotency key in place of
// the external id, and an update's link with the values sent staged next
// to the values last agreed (see pending.go). If the step dies after the
// writes, the replay tells the engine's own writes from edits made on the
// external side, instead of taking one for the other.
func (e *Engine) stage(ctx context.Context, r *run, os store.ObjectSync, p *plan) error {
	var staged []store.Link
	for _, ref := range p.order {
		pr := p.pairs[ref]
		if pr.app == nil || pr.link.HubID <= 0 || pr.app.Archive {
			continue
		}
		l := pr.link
		switch {
		case pr.app.ID != "":
			// An update: the values last agreed, with those being sent.
			l.Snapshot = withPending(pr.base, pr.sent)
		case pr.app.IdempotencyKey != "":
			l.ExternalID = pendingPrefix + pr.app.IdempotencyKey
			pr.staged = true
		default:
			continue
		}
		staged = append(staged, l)
	}
	if len(staged) == 0 {
		return nil
	}
	return e.hubTx(ctx, r, os.HubObject, func(tx store.Tx) error { return tx.PutLinks(ctx, staged) })
}

// writeApp applies the plan's external writes in batches and notes each
// result on its pair.
func (e *Engine) writeApp(ctx context.Context, r *run, os store.ObjectSync, p *plan) error {
	var writes []connector.Write
	for _, ref := range p.order {
		if w := p.pairs[ref].app; w != nil {
			writes = append(writes, *w)
		}
	}
	max := r.writer.MaxBatch()
	for start := 0; start < len(writes); start += max {
		chunk := writes[start:min(start+max, len(writes))]
		// A break stops the writes here: at most the batch already sent
		// when it came lands.
		if err := e.mayWrite(ctx, r, os.HubObject); err != nil {
			return err
		}
		var results []connector.WriteResult
		err := e.external(ctx, r, func(ctx context.Context) error {
			var err error
			results, err = r.writer.Apply(ctx, r.sess.Target, r.sess.Credential, os.ExternalObject, chunk)
			return err
		})
		if err != nil {
			return err
		}
		for _, res := range results {
			pr, ok := p.pairs[res.Ref]
			if !ok {
				continue
			}
			if res.Err != nil {
				e.quarantine(ctx, r, os, store.SideApp, pr, res.Err.Reason, res.Err.Message)
				pr.app, pr.hub, pr.link.HubID = nil, nil, -1
				continue
			}
			if pr.app.ID == "" {
				pr.link.ExternalID = res.ID
				r.count(os.HubObject, "to_app", "created", 1)
			}
			if !pr.app.Archive {
				r.wrote(res.ID, res.UpdatedAt, pr.link.Snapshot)
			}
			pr.app = nil
		}
	}
	return nil
}

// writeHub writes the plan's hub changes, then stores links and the cursor
// (when side is set). An update of a record that changed since it was read
// is left for the next step, which will see that change.
func (e *Engine) writeHub(ctx context.Context, tx store.Tx, r *run, os store.ObjectSync, p *plan, side, cursor string) error {
	if err := e.skipMoved(ctx, tx, os, p); err != nil {
		return err
	}
	var refs []string
	var writes []crm.SyncWrite
	for _, ref := range p.order {
		if pr := p.pairs[ref]; pr.hub != nil {
			refs, writes = append(refs, ref), append(writes, *pr.hub)
		}
	}
	if len(writes) > 0 {
		outs, err := e.crm.WriteTx(ctx, tx, r.source, os.HubObject, writes)
		if err != nil {
			return err
		}
		for i, out := range outs {
			pr := p.pairs[refs[i]]
			if out.Err != nil {
				if err := e.quarantineTx(ctx, tx, r, os, store.SideHub, pr, connector.ReasonRecordRejected, out.Err.Error()); err != nil {
					return err
				}
				pr.link.HubID = -1
				continue
			}
			if pr.hub.ID == 0 {
				pr.link.HubID = out.Record.ID
				r.count(os.HubObject, "to_hub", "created", 1)
			}
		}
	}
	if err := putLinks(ctx, tx, p); err != nil {
		return err
	}
	if side == "" {
		return nil
	}
	return tx.SetSyncCursor(ctx, os.ID, side, cursor)
}

// putLinks stores the links of the plan's pairs. A create's link was
// staged whole before the create, so it only takes the external id the
// create returned: one write of a row instead of two.
func putLinks(ctx context.Context, tx store.Tx, p *plan) error {
	var links, created []store.Link
	for _, ref := range p.order {
		pr := p.pairs[ref]
		switch l := pr.link; {
		case l.HubID <= 0 || l.ExternalID == "":
		case pr.staged && !isPending(l):
			created = append(created, l)
		default:
			links = append(links, l)
		}
	}
	if len(created) > 0 {
		found, err := tx.SetLinkExternalIDs(ctx, created)
		if err != nil {
			return err
		}
		if found < len(created) {
			// A staged link is gone: store them whole.
			links = append(links, created...)
		}
	}
	if len(links) == 0 {
		return nil
	}
	return tx.PutLinks(ctx, links)
}

// skipMoved drops hub updates (and their links) of records that changed
// since the step read them.
func (e *Engine) skipMoved(ctx context.Context, tx store.Tx, os store.ObjectSync, p *plan) error {
	var ids []int64
	for _, ref := range p.order {
		if pr := p.pairs[ref]; pr.hub != nil && pr.hub.ID != 0 && pr.seen != nil {
			ids = append(ids, pr.hub.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	now, err := tx.Records(ctx, os.HubObject, ids)
	if err != nil {
		return err
	}
	at := make(map[int64]store.Record, len(now))
	for _, rec := range now {
		at[rec.ID] = rec
	}
	for _, ref := range p.order {
		pr := p.pairs[ref]
		if pr.hub == nil || pr.hub.ID == 0 || pr.seen == nil {
			continue
		}
		if cur, ok := at[pr.hub.ID]; !ok || !cur.UpdatedAt.Equal(pr.seen.UpdatedAt) {
			pr.hub, pr.link.HubID = nil, -1
		}
	}
	return nil
}

// quarantine records a refused record in its own transaction.
func (e *Engine) quarantine(ctx context.Context, r *run, os store.ObjectSync, side string, pr *pair, reason, msg string) {
	err := e.st.Update(ctx, func(tx store.Tx) error { return e.quarantineTx(ctx, tx, r, os, side, pr, reason, msg) })
	if err != nil {
		e.log.Warn("could not record a refused record", "sync", os.ID, "error", err)
	}
}

func (e *Engine) quarantineTx(ctx context.Context, tx store.Tx, r *run, os store.ObjectSync, side string, pr *pair, reason, msg string) error {
	dir := "to_app"
	if side == store.SideHub {
		dir = "to_hub"
	}
	r.count(os.HubObject, dir, "failed", 1)
	hubID := pr.link.HubID
	if hubID < 0 {
		hubID = 0
	}
	_, err := tx.PutRecordError(ctx, store.RecordError{SyncID: os.ID, Side: side, HubID: hubID, ExternalID: pr.link.ExternalID,
		Reason: reason, Message: msg, CreatedAt: e.clock(), UpdatedAt: e.clock()})
	return err
}

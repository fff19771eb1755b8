package syncer

import (
	"context"
	"maps"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// hubToApp delivers what changed in the hub since the sync's hub cursor.
//
// While a step is being written, the next step's part of the change feed
// and its records are already read (see feedAhead); their links are read
// only once the step before has stored its own.
func (e *Engine) hubToApp(ctx context.Context, r *run, os store.ObjectSync) error {
	after, err := e.hubCursor(ctx, os)
	if err != nil {
		return err
	}
	step, err := e.readFeed(ctx, r, os, after)
	for err == nil && !step.done {
		// A step that drained the feed has nothing to read ahead: the
		// usual run, a few changes, reads the feed only once more.
		ahead := &readAhead{step: hubStep{done: true}}
		if step.full {
			ahead = e.feedAhead(ctx, r, os, step.cursor)
		}
		var wroteHub bool
		if err = e.addLinks(ctx, os, &step); err == nil {
			wroteHub, err = e.deliverToApp(ctx, r, os, step, store.SideHub)
		}
		next := ahead.wait()
		if err != nil {
			return err
		}
		if wroteHub || next.err != nil || next.step.done {
			// The records read ahead may predate the hub writes this
			// step just made, and a feed found empty may have moved
			// since: read again.
			next.step, next.err = e.readFeed(ctx, r, os, step.cursor)
		}
		step, err = next.step, next.err
	}
	return err
}

// hubStep is a batch of hub records that changed, with their links.
type hubStep struct {
	done    bool
	full    bool  // the batch was as long as a step may be: more may follow
	cursor  int64 // the feed position after this batch
	records []store.Record
	links   map[int64]store.Link
}

// hubCursor is the position in the change feed the sync delivered up to.
func (e *Engine) hubCursor(ctx context.Context, os store.ObjectSync) (int64, error) {
	var after int64
	err := e.st.View(ctx, func(tx store.Tx) error {
		pos, err := tx.SyncCursor(ctx, os.ID, store.SideHub)
		after, _ = strconv.ParseInt(pos, 10, 64)
		return err
	})
	return after, err
}

// readFeed reads the next batch of the change feed after a position, and
// the records it names, skipping the engine's own writes: they are no news
// to the app. It reads no links (addLinks does).
func (e *Engine) readFeed(ctx context.Context, r *run, os store.ObjectSync, after int64) (hubStep, error) {
	var step hubStep
	err := e.st.View(ctx, func(tx store.Tx) error {
		changes, err := tx.ChangeRefs(ctx, after, e.batch)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			step.done = true
			return nil
		}
		step.cursor, step.full = changes[len(changes)-1].Seq, len(changes) == e.batch
		var ids []int64
		seen := make(map[int64]bool, len(changes))
		for _, c := range changes {
			if c.ObjectType != os.HubObject || c.Source == r.source || seen[c.RecordID] {
				continue
			}
			seen[c.RecordID] = true
			ids = append(ids, c.RecordID)
		}
		step.records, err = tx.Records(ctx, os.HubObject, ids)
		return err
	})
	return step, err
}

// addLinks reads the links of a step's records.
func (e *Engine) addLinks(ctx context.Context, os store.ObjectSync, step *hubStep) error {
	ids := make([]int64, len(step.records))
	for i, rec := range step.records {
		ids[i] = rec.ID
	}
	step.links = make(map[int64]store.Link, len(ids))
	if len(ids) == 0 {
		return nil
	}
	return e.st.View(ctx, func(tx store.Tx) error {
		links, err := tx.LinksByHubID(ctx, os.ID, ids)
		for _, l := range links {
			step.links[l.HubID] = l
		}
		return err
	})
}

// readAhead is a read of the change feed under way.
type readAhead struct {
	done chan struct{}
	step hubStep
	err  error
}

func (a *readAhead) wait() *readAhead {
	if a.done != nil {
		<-a.done
	}
	return a
}

// feedAhead starts reading the step after position while the current one
// is written: the read waits on SQLite or the database while the write
// waits on the external app, so the two overlap. Only one step is read
// ahead, so memory stays that of two steps.
func (e *Engine) feedAhead(ctx context.Context, r *run, os store.ObjectSync, after int64) *readAhead {
	a := &readAhead{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.step, a.err = e.readFeed(ctx, r, os, after)
	}()
	return a
}

// pair is one record pair of a step: the writes planned on each side and
// the link to store once every one of them succeeded.
type pair struct {
	link store.Link
	// base is the snapshot the pair was merged against and sent what an
	// external update sends, by hub property: the update is staged as the
	// two together.
	base, sent map[string]string
	app        *connector.Write
	hub        *crm.SyncWrite
	// staged says the link of a create was stored, snapshot and all,
	// before the create: storing it after needs only the external id.
	staged bool
	// seen is the hub record as read, to skip an update of a record that
	// changed again before the write (that change comes through the feed).
	seen *store.Record
}

// plan is what one step will write on each side, by pair.
type plan struct {
	pairs map[string]*pair
	order []string
}

func newPlan() *plan { return &plan{pairs: map[string]*pair{}} }

// add returns the pair named ref, making it with link if new.
func (p *plan) add(ref string, link store.Link) *pair {
	if pr, ok := p.pairs[ref]; ok {
		return pr
	}
	pr := &pair{link: link}
	p.pairs[ref] = pr
	p.order = append(p.order, ref)
	return pr
}

// writesHub reports whether the plan holds a write to the hub.
func (p *plan) writesHub() bool {
	for _, pr := range p.pairs {
		if pr.hub != nil {
			return true
		}
	}
	return false
}

func hubRef(id int64) string { return "h" + strconv.FormatInt(id, 10) }

// deliverToApp syncs a batch of hub records and then moves the cursor of
// side ("" for none, when retrying one record). It reports whether it
// planned writes to the hub.
func (e *Engine) deliverToApp(ctx context.Context, r *run, os store.ObjectSync, step hubStep, side string) (bool, error) {
	const dir = "to_app"
	obj := os.HubObject
	r.count(obj, dir, "read", len(step.records))
	p := newPlan()
	var linkedIDs []string
	for _, l := range step.links {
		linkedIDs = append(linkedIDs, l.ExternalID)
	}
	apps, err := e.getApp(ctx, r, os, linkedIDs)
	if err != nil {
		return false, err
	}
	var unlinked []store.Record
	pending := map[int64]store.Link{}
	for _, rec := range step.records {
		link, linked := step.links[rec.ID]
		if linked && isPending(link) {
			// A create whose step died before its link was stored.
			pending[rec.ID], linked = link, false
		}
		switch {
		case rec.Archived:
			e.planHubArchive(r, os, p, rec, link, linked)
		case !passes(os.HubFilters, rec.Props):
			r.count(obj, dir, "skipped_filter", 1)
		case !linked:
			unlinked = append(unlinked, rec)
		default:
			app, ok := apps[link.ExternalID]
			if !ok {
				r.count(obj, dir, "skipped_missing", 1)
				continue
			}
			e.planPair(r, os, p, dir, rec, app, link, true)
		}
	}
	if err := e.matchOnApp(ctx, r, os, p, unlinked, pending); err != nil {
		return false, err
	}
	writesHub := p.writesHub() // before commit, which clears what it wrote
	return writesHub, e.commit(ctx, r, os, p, side, strconv.FormatInt(step.cursor, 10))
}

// getApp reads linked external records by id.
func (e *Engine) getApp(ctx context.Context, r *run, os store.ObjectSync, ids []string) (map[string]connector.Record, error) {
	out := map[string]connector.Record{}
	if len(ids) == 0 {
		return out, nil
	}
	var recs []connector.Record
	err := e.external(ctx, r, func(ctx context.Context) error {
		var err error
		recs, err = r.reader.Get(ctx, r.sess.Target, r.sess.Credential, os.ExternalObject, readFields(os), ids)
		return err
	})
	for _, rec := range recs {
		out[rec.ID] = rec
	}
	return out, err
}

// matchOnApp pairs hub records seen for the first time with external
// records by the match key, and plans creates for the rest.
//
// pending holds the staged links of creates a dead step may have made: an
// external record that carries such a create's idempotency key is that
// create, and the values staged with it are the base of its merge.
func (e *Engine) matchOnApp(ctx context.Context, r *run, os store.ObjectSync, p *plan, recs []store.Record, pending map[int64]store.Link) error {
	if len(recs) == 0 {
		return nil
	}
	byKey := map[string]connector.Record{}
	if os.HubMatchKey != "" && os.AppMatchKey != "" {
		var values []string
		for _, rec := range recs {
			if v := rec.Props[os.HubMatchKey]; v != "" {
				values = append(values, v)
			}
		}
		if len(values) > 0 {
			var found []connector.Record
			err := e.external(ctx, r, func(ctx context.Context) error {
				var err error
				found, err = r.reader.FindBy(ctx, r.sess.Target, r.sess.Credential, os.ExternalObject, os.AppMatchKey, values, readFields(os))
				return err
			})
			if err != nil {
				return err
			}
			paired, err := e.pairedOnApp(ctx, os, found)
			if err != nil {
				return err
			}
			for _, f := range found {
				if !paired[f.ID] {
					byKey[lower(f.Props[os.AppMatchKey])] = f
				}
			}
		}
	}
	for _, rec := range recs {
		if app, ok := byKey[lower(rec.Props[os.HubMatchKey])]; ok && rec.Props[os.HubMatchKey] != "" {
			link := store.Link{SyncID: os.ID, HubID: rec.ID, ExternalID: app.ID}
			if staged, ok := pending[rec.ID]; ok && app.Origin == idempotencyKey(r, rec.ID) {
				link.Snapshot = staged.Snapshot
				e.planPair(r, os, p, "to_app", rec, app, link, true)
				continue
			}
			r.count(os.HubObject, "to_app", "matched", 1)
			e.planPair(r, os, p, "to_app", rec, app, link, false)
			continue
		}
		values := only(hubView(os.Mappings, rec.Props), os.Mappings, os.Direction, store.SideApp)
		ref := hubRef(rec.ID)
		pr := p.add(ref, store.Link{SyncID: os.ID, HubID: rec.ID, Snapshot: values, UpdatedAt: e.clock()})
		pr.app = &connector.Write{Ref: ref, IdempotencyKey: idempotencyKey(r, rec.ID), Props: toApp(os.Mappings, values)}
	}
	return nil
}

// pairedOnApp says which external records are already paired with another
// hub record; they are not matched again.
func (e *Engine) pairedOnApp(ctx context.Context, os store.ObjectSync, recs []connector.Record) (map[string]bool, error) {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	paired := map[string]bool{}
	err := e.st.View(ctx, func(tx store.Tx) error {
		links, err := tx.LinksByExternalID(ctx, os.ID, ids)
		for _, l := range links {
			paired[l.ExternalID] = true
		}
		return err
	})
	return paired, err
}

// pendingPrefix marks the external id of a staged link: a create sent, or
// about to be sent, whose external id is not known yet.
const pendingPrefix = "pending:"

func isPending(l store.Link) bool { return strings.HasPrefix(l.ExternalID, pendingPrefix) }

// idempotencyKey names a hub record across replays of its create.
func idempotencyKey(r *run, hubID int64) string {
	return r.origin + strconv.FormatInt(hubID, 10)
}

// planPair merges a linked (or just matched) pair and plans the writes.
func (e *Engine) planPair(r *run, os store.ObjectSync, p *plan, dir string, hub store.Record, app connector.Record, link store.Link, hasBase bool) {
	appValues := appView(os.Mappings, app.Props)
	base := effectiveBase(link.Snapshot, appValues)
	o := merge(os.Mappings, os.Direction, os.ConflictRule, base, hasBase,
		version{hubView(os.Mappings, hub.Props), hub.UpdatedAt}, version{appValues, app.UpdatedAt})
	r.count(os.HubObject, dir, "conflicts", o.conflicts)
	link.Snapshot, link.SyncID, link.HubID, link.ExternalID = o.snapshot, os.ID, hub.ID, app.ID
	link.UpdatedAt = e.clock()
	ref := hubRef(hub.ID)
	pr := p.add(ref, link)
	pr.link, pr.seen, pr.base = link, &hub, base
	if len(o.toApp) == 0 && len(o.toHub) == 0 {
		r.count(os.HubObject, dir, "unchanged", 1)
		return
	}
	if len(o.toApp) > 0 {
		pr.sent = o.toApp
		pr.app = &connector.Write{Ref: ref, ID: app.ID, Props: toApp(os.Mappings, o.toApp)}
		r.count(os.HubObject, "to_app", "updated", 1)
	}
	if len(o.toHub) > 0 {
		pr.hub = &crm.SyncWrite{ID: hub.ID, Props: o.toHub}
		r.count(os.HubObject, "to_hub", "updated", 1)
	}
}

// planHubArchive archives the external record of an archived hub record,
// when the sync propagates deletes.
func (e *Engine) planHubArchive(r *run, os store.ObjectSync, p *plan, rec store.Record, link store.Link, linked bool) {
	if !linked || link.HubArchived {
		return
	}
	link.HubArchived, link.UpdatedAt = true, e.clock()
	if !os.PropagateDeletes || link.AppArchived {
		p.add(hubRef(rec.ID), link)
		return
	}
	link.AppArchived = true
	ref := hubRef(rec.ID)
	p.add(ref, link).app = &connector.Write{Ref: ref, ID: link.ExternalID, Archive: true}
	r.count(os.HubObject, "to_app", "archived", 1)
}

// only keeps the values of fields that flow toward side.
func only(values map[string]string, ms []store.FieldMapping, dir, side string) map[string]string {
	out := maps.Clone(values)
	for _, m := range ms {
		if !flows(dir, m.Direction, side) {
			delete(out, m.Hub)
		}
	}
	return out
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

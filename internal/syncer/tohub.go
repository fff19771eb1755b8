package syncer

import (
	"context"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// appToHub brings in what changed on the external side since the sync's
// app cursor.
//
// While a page is written to the hub, the next one is already being read
// from the external app (see pageAhead): the read waits on the other side
// while the write waits on the hub's store, so on a backfill the two sides
// work at once instead of in turn.
func (e *Engine) appToHub(ctx context.Context, r *run, os store.ObjectSync) error {
	fields := readFields(os)
	cursor, err := e.appCursor(ctx, os)
	if err != nil {
		return err
	}
	page, err := e.readApp(ctx, r, os, fields, cursor)
	for err == nil {
		ahead := &pageAhead{}
		if page.More && len(page.Records) > 0 {
			ahead = e.appAhead(ctx, r, os, fields, page.Cursor)
		}
		wroteApp, derr := e.deliverToHub(ctx, r, os, page, store.SideApp)
		next := ahead.wait()
		if derr != nil {
			return derr
		}
		if !page.More || len(page.Records) == 0 {
			return nil
		}
		if cursor, err = e.appCursor(ctx, os); err != nil {
			return err
		}
		if wroteApp || next.err != nil || next.from != cursor {
			// A page read ahead may predate the external writes this step
			// just made (a merge that sent hub values back), so it would
			// take the old values for edits; an error is met again on the
			// run's own read, which renews an expired token.
			next.page, next.err = e.readApp(ctx, r, os, fields, cursor)
		}
		page, err = next.page, next.err
	}
	return err
}

// appCursor is the position on the external side the sync brought in up to.
func (e *Engine) appCursor(ctx context.Context, os store.ObjectSync) (string, error) {
	var cursor string
	err := e.st.View(ctx, func(tx store.Tx) error {
		var err error
		cursor, err = tx.SyncCursor(ctx, os.ID, store.SideApp)
		return err
	})
	return cursor, err
}

// readApp reads the page of external changes after cursor.
func (e *Engine) readApp(ctx context.Context, r *run, os store.ObjectSync, fields []string, cursor string) (connector.Page, error) {
	var page connector.Page
	err := e.external(ctx, r, func(ctx context.Context) error {
		var err error
		page, err = r.reader.Changes(ctx, r.sess.Target, r.sess.Credential, os.ExternalObject, fields, cursor, e.batch)
		return err
	})
	return page, err
}

// pageAhead is a read of external changes under way.
type pageAhead struct {
	done chan struct{}
	from string // the cursor it reads after
	page connector.Page
	err  error
}

func (a *pageAhead) wait() *pageAhead {
	if a.done != nil {
		<-a.done
	}
	return a
}

// appAhead starts reading the page after cursor. It calls the connector
// with a copy of the run's target and credential, and without renewing
// the token (the run's own goroutine owns its session); its calls go
// through the run's pacer like every other. Only one page is read ahead,
// so memory stays that of two pages.
func (e *Engine) appAhead(ctx context.Context, r *run, os store.ObjectSync, fields []string, cursor string) *pageAhead {
	a := &pageAhead{done: make(chan struct{}), from: cursor}
	target, cred, reader, batch := r.sess.Target, r.sess.Credential, r.reader, e.batch
	if r.limit != nil {
		ctx = connector.WithPacer(ctx, r.limit)
	}
	go func() {
		defer close(a.done)
		a.page, a.err = reader.Changes(ctx, target, cred, os.ExternalObject, fields, cursor, batch)
	}()
	return a
}

// deliverToHub syncs a page of external records and then moves the cursor
// of side ("" for none, when retrying one record). It reports whether it
// planned writes to the external app.
func (e *Engine) deliverToHub(ctx context.Context, r *run, os store.ObjectSync, page connector.Page, side string) (bool, error) {
	const dir = "to_hub"
	obj := os.HubObject
	r.count(obj, dir, "read", len(page.Records))
	fresh := page.Records[:0:0]
	for _, rec := range page.Records {
		values := func() map[string]string {
			return only(appView(os.Mappings, rec.Props), os.Mappings, os.Direction, store.SideApp)
		}
		if r.isEcho(rec, values) {
			r.count(obj, dir, "unchanged", 1)
			continue
		}
		fresh = append(fresh, rec)
	}
	page.Records = fresh
	links, hubs, err := e.linkedHub(ctx, os, page.Records)
	if err != nil {
		return false, err
	}
	p := newPlan()
	var unlinked []connector.Record
	for _, rec := range page.Records {
		link, linked := links[rec.ID]
		switch {
		case rec.Archived:
			e.planAppArchive(r, os, p, link, linked)
		case !passes(os.AppFilters, rec.Props):
			r.count(obj, dir, "skipped_filter", 1)
		case !linked:
			unlinked = append(unlinked, rec)
		default:
			hub, ok := hubs[link.HubID]
			if !ok || hub.Archived {
				r.count(obj, dir, "skipped_missing", 1)
				continue
			}
			e.planPair(r, os, p, dir, hub, rec, link, true)
		}
	}
	if err := e.matchOnHub(ctx, r, os, p, unlinked); err != nil {
		return false, err
	}
	writesApp := p.writesApp() // before commit, which clears what it wrote
	return writesApp, e.commit(ctx, r, os, p, side, page.Cursor)
}

// linkedHub reads the links of external records and their hub records.
func (e *Engine) linkedHub(ctx context.Context, os store.ObjectSync, recs []connector.Record) (map[string]store.Link, map[int64]store.Record, error) {
	links := map[string]store.Link{}
	hubs := map[int64]store.Record{}
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	err := e.st.View(ctx, func(tx store.Tx) error {
		found, err := tx.LinksByExternalID(ctx, os.ID, ids)
		if err != nil {
			return err
		}
		hubIDs := make([]int64, 0, len(found))
		for _, l := range found {
			links[l.ExternalID] = l
			hubIDs = append(hubIDs, l.HubID)
		}
		// (A staged link's external id is a key, never an external id, so
		// it cannot be found here.)
		if len(hubIDs) == 0 {
			return nil
		}
		recs, err := tx.Records(ctx, os.HubObject, hubIDs)
		for _, r := range recs {
			hubs[r.ID] = r
		}
		return err
	})
	return links, hubs, err
}

// matchOnHub pairs external records seen for the first time with hub
// records by the match key, and plans hub creates for the rest. A create
// and its link commit in one transaction, so a replay cannot duplicate it.
func (e *Engine) matchOnHub(ctx context.Context, r *run, os store.ObjectSync, p *plan, recs []connector.Record) error {
	if len(recs) == 0 {
		return nil
	}
	byKey := map[string]store.Record{}
	if os.HubMatchKey != "" && os.AppMatchKey != "" {
		var values []string
		for _, rec := range recs {
			if v := rec.Props[os.AppMatchKey]; v != "" {
				values = append(values, crm.LookupValue(os.HubMatchKey, v))
			}
		}
		if len(values) > 0 {
			err := e.st.View(ctx, func(tx store.Tx) error {
				found, err := tx.RecordsByValue(ctx, os.HubObject, os.HubMatchKey, values)
				if err != nil || len(found) == 0 {
					return err
				}
				ids := make([]int64, len(found))
				for i, f := range found {
					ids[i] = f.ID
				}
				// A hub record already paired with another external record
				// is not matched again.
				linked, err := tx.LinksByHubID(ctx, os.ID, ids)
				paired := map[int64]bool{}
				for _, l := range linked {
					paired[l.HubID] = true
				}
				for _, f := range found {
					if !paired[f.ID] {
						byKey[lower(f.Props[os.HubMatchKey])] = f
					}
				}
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	taken := map[int64]bool{}
	for _, rec := range recs {
		key := lower(rec.Props[os.AppMatchKey])
		if hub, ok := byKey[key]; ok && key != "" && !taken[hub.ID] {
			taken[hub.ID] = true
			r.count(os.HubObject, "to_hub", "matched", 1)
			e.planPair(r, os, p, "to_hub", hub, rec, store.Link{SyncID: os.ID, HubID: hub.ID, ExternalID: rec.ID}, false)
			continue
		}
		values := only(appView(os.Mappings, rec.Props), os.Mappings, os.Direction, store.SideHub)
		pr := p.add("a"+rec.ID, store.Link{SyncID: os.ID, ExternalID: rec.ID, Snapshot: values, UpdatedAt: e.clock()})
		pr.hub = &crm.SyncWrite{Props: values}
	}
	return nil
}

// planAppArchive archives the hub record of an archived external record,
// when the sync propagates deletes.
func (e *Engine) planAppArchive(r *run, os store.ObjectSync, p *plan, link store.Link, linked bool) {
	if !linked || link.AppArchived {
		return
	}
	link.AppArchived, link.UpdatedAt = true, e.clock()
	pr := p.add(hubRef(link.HubID), link)
	if !os.PropagateDeletes || link.HubArchived {
		return
	}
	pr.link.HubArchived = true
	pr.hub = &crm.SyncWrite{ID: link.HubID, Archive: true}
	r.count(os.HubObject, "to_hub", "archived", 1)
}

// writesApp reports whether the plan holds a write to the external app.
func (p *plan) writesApp() bool {
	for _, pr := range p.pairs {
		if pr.app != nil {
			return true
		}
	}
	return false
}

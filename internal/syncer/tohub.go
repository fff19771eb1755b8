package syncer

import (
	"context"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// appToHub brings in what changed on the external side since the sync's
// app cursor.
func (e *Engine) appToHub(ctx context.Context, r *run, os store.ObjectSync) error {
	fields := readFields(os)
	for {
		var cursor string
		if err := e.st.View(ctx, func(tx store.Tx) error {
			var err error
			cursor, err = tx.SyncCursor(ctx, os.ID, store.SideApp)
			return err
		}); err != nil {
			return err
		}
		var page connector.Page
		err := e.external(ctx, r, func(ctx context.Context) error {
			var err error
			page, err = r.reader.Changes(ctx, r.sess.Target, r.sess.Credential, os.ExternalObject, fields, cursor, e.batch)
			return err
		})
		if err != nil {
			return err
		}
		if err := e.deliverToHub(ctx, r, os, page, store.SideApp); err != nil {
			return err
		}
		if !page.More || len(page.Records) == 0 {
			return nil
		}
	}
}

// deliverToHub syncs a page of external records and then moves the cursor
// of side ("" for none, when retrying one record).
func (e *Engine) deliverToHub(ctx context.Context, r *run, os store.ObjectSync, page connector.Page, side string) error {
	const dir = "to_hub"
	obj := os.HubObject
	r.count(obj, dir, "read", len(page.Records))
	fresh := page.Records[:0:0]
	for _, rec := range page.Records {
		if r.isEcho(rec, only(appView(os.Mappings, rec.Props), os.Mappings, os.Direction, store.SideApp)) {
			r.count(obj, dir, "unchanged", 1)
			continue
		}
		fresh = append(fresh, rec)
	}
	page.Records = fresh
	links, hubs, err := e.linkedHub(ctx, os, page.Records)
	if err != nil {
		return err
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
		return err
	}
	return e.commit(ctx, r, os, p, side, page.Cursor)
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

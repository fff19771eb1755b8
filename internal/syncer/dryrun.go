package syncer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// A dry run answers "what would this change do?" before it is saved: it
// reads both sides as the run after the change would (a new sync, or a
// change of mappings, filters or direction, reads both from the start) and
// plans every pair with the same filters, matching and merge as a run,
// writing nothing: no record, link, cursor or run record. It compares every
// live record of both sides, so its counts are what the next run would do
// once the sync is in step, not only what changed since the last run.

// MaxPreviewed is the most records a dry run reads on each side; beyond
// that its counts cover the first ones and Preview.Limited says so.
const MaxPreviewed = 20_000

// Preview is what a run would do under an object sync's settings.
type Preview struct {
	HubObject      string `json:"hub_object"`
	ExternalObject string `json:"external_object"`
	Direction      string `json:"direction"`
	// HubRead and AppRead are the live records read on each side.
	HubRead int `json:"hub_read"`
	AppRead int `json:"app_read"`
	// ToApp and ToHub are the writes on the external side and in the hub.
	ToApp PreviewSide `json:"to_app"`
	ToHub PreviewSide `json:"to_hub"`
	// Matched are pairs made for the first time by the match key.
	Matched int `json:"matched"`
	// Conflicts are fields both sides changed, settled by the conflict rule.
	Conflicts int `json:"conflicts"`
	// Limited: a side holds more than MaxPreviewed records.
	Limited bool `json:"limited"`
	// Disabled: the sync is disabled, so a run leaves it alone and nothing
	// was read.
	Disabled bool `json:"disabled,omitempty"`
}

// PreviewSide counts what a run would write on one side.
type PreviewSide struct {
	Create int `json:"create"`
	Update int `json:"update"`
	// Excluded are records of the other side its filters leave out.
	Excluded int `json:"excluded"`
}

// Writes is how many records the side would create or update.
func (p PreviewSide) Writes() int { return p.Create + p.Update }

// PreviewAdd is the dry run of AddObjectSync with in: it checks in as add
// does and counts what the first run would do.
func (e *Engine) PreviewAdd(ctx context.Context, a audit.Actor, connectionID int64, in ObjectSyncInput) (Preview, error) {
	next, err := objectSync(in)
	if err != nil {
		return Preview{}, err
	}
	next.ConnectionID, next.Enabled = connectionID, true
	err = e.st.View(ctx, func(tx store.Tx) error {
		if err := connection.Authorize(ctx, tx, a); err != nil {
			return err
		}
		return addable(ctx, tx, connectionID, next)
	})
	if err != nil {
		return Preview{}, err
	}
	if err := e.checkHubFields(ctx, next); err != nil {
		return Preview{}, err
	}
	if err := e.checkAppFields(ctx, next); err != nil {
		return Preview{}, err
	}
	return e.preview(ctx, nil, next)
}

// PreviewUpdate is the dry run of UpdateObjectSync with ch: it checks the
// change as update does, and every field the sync names as the run after
// it would, and counts what that run would do.
func (e *Engine) PreviewUpdate(ctx context.Context, a audit.Actor, connectionID, syncID int64, ch ObjectSyncChange) (Preview, error) {
	cur, err := e.syncToChange(ctx, a, connectionID, syncID)
	if err != nil {
		return Preview{}, err
	}
	next, err := changed(cur, ch)
	if err != nil {
		return Preview{}, err
	}
	// Every field, not only those the change brings in: a run checks them
	// all first, and a field gone from either side would fail it.
	if next.Enabled {
		if err := e.checkHubFields(ctx, next); err != nil {
			return Preview{}, err
		}
		if err := e.checkAppFields(ctx, next); err != nil {
			return Preview{}, err
		}
	}
	return e.preview(ctx, &cur, next)
}

// preview plans next against both sides; cur is the sync it changes, whose
// links pair records already (nil for a new one).
func (e *Engine) preview(ctx context.Context, cur *store.ObjectSync, next store.ObjectSync) (Preview, error) {
	p := Preview{HubObject: next.HubObject, ExternalObject: next.ExternalObject, Direction: next.Direction}
	if !next.Enabled {
		p.Disabled = true
		return p, nil
	}
	hubs, links, more, err := e.previewHub(ctx, cur, next)
	if err != nil {
		return p, err
	}
	apps, moreApp, err := e.previewApp(ctx, next)
	if err != nil {
		return p, err
	}
	p.HubRead, p.AppRead, p.Limited = len(hubs), len(apps), more || moreApp
	if cur != nil {
		forgetChanged(links, *cur, next)
	}
	pl := &previewPlan{p: &p, os: next, links: links, done: map[string]bool{}, taken: map[int64]bool{}}
	pl.index(hubs, apps)
	if flows(next.Direction, "", store.SideApp) {
		for _, h := range hubs {
			pl.fromHub(h)
		}
	}
	if flows(next.Direction, "", store.SideHub) {
		for _, a := range apps {
			pl.fromApp(a)
		}
	}
	return p, nil
}

// forgetChanged drops from the links' snapshots the fields a change of
// mapping forgets (see adjust), so they merge as the run after it would.
func forgetChanged(links map[int64]store.Link, cur, next store.ObjectSync) {
	for _, f := range fieldsOf(cur.Mappings, next.Mappings) {
		was, had := mappingOf(cur.Mappings, f)
		is, has := mappingOf(next.Mappings, f)
		if had && has && was.App == is.App && was.Type == is.Type {
			continue
		}
		for id, l := range links {
			if _, ok := l.Snapshot[f]; ok || l.Snapshot[pendingKey+f] != "" {
				s := make(map[string]string, len(l.Snapshot))
				for k, v := range l.Snapshot {
					if k != f && k != pendingKey+f {
						s[k] = v
					}
				}
				l.Snapshot = s
				links[id] = l
			}
		}
	}
}

// previewHub reads the hub's live records of the sync's object, with the
// links cur keeps for them, by hub id.
func (e *Engine) previewHub(ctx context.Context, cur *store.ObjectSync, os store.ObjectSync) ([]store.Record, map[int64]store.Link, bool, error) {
	var hubs []store.Record
	links := map[int64]store.Link{}
	more := false
	err := e.st.View(ctx, func(tx store.Tx) error {
		var after int64
		for len(hubs) < MaxPreviewed {
			recs, err := tx.ListRecords(ctx, os.HubObject, false, after, min(e.batch, MaxPreviewed-len(hubs)))
			if err != nil {
				return err
			}
			if len(recs) == 0 {
				return nil
			}
			hubs = append(hubs, recs...)
			after = recs[len(recs)-1].ID
		}
		extra, err := tx.ListRecords(ctx, os.HubObject, false, after, 1)
		more = len(extra) > 0
		return err
	})
	if err != nil || cur == nil {
		return hubs, links, more, err
	}
	err = e.st.View(ctx, func(tx store.Tx) error {
		for chunk := range slices.Chunk(hubs, 1000) {
			ids := make([]int64, len(chunk))
			for i, h := range chunk {
				ids[i] = h.ID
			}
			found, err := tx.LinksByHubID(ctx, cur.ID, ids)
			if err != nil {
				return err
			}
			for _, l := range found {
				if !isPending(l) {
					links[l.HubID] = l
				}
			}
		}
		return nil
	})
	return hubs, links, more, err
}

// previewApp reads the external side's live records of the sync's object
// from the beginning, as a run after the change would.
func (e *Engine) previewApp(ctx context.Context, os store.ObjectSync) ([]connector.Record, bool, error) {
	sess, err := e.conns.Look(ctx, os.ConnectionID)
	if err != nil {
		return nil, false, err
	}
	r := &run{sess: sess}
	if r.limit, err = e.limiter(sess); err != nil {
		return nil, false, fmt.Errorf("%w: %v", connection.ErrInvalid, err)
	}
	var ok bool
	if r.reader, ok = sess.Connector.(connector.Reader); !ok {
		return nil, false, fmt.Errorf("%w: provider %s cannot read records", connection.ErrInvalid, sess.Provider)
	}
	byID := map[string]int{}
	var out []connector.Record
	cursor := ""
	for {
		var page connector.Page
		err := e.external(ctx, r, func(ctx context.Context) error {
			var err error
			page, err = r.reader.Changes(ctx, sess.Target, sess.Credential, os.ExternalObject, readFields(os), cursor, e.batch)
			return err
		})
		if err != nil {
			return nil, false, err
		}
		for _, rec := range page.Records {
			// A page may repeat a record; the latest reading stands.
			i, seen := byID[rec.ID]
			switch {
			case seen:
				out[i] = rec
			case len(out) >= MaxPreviewed:
				return live(out), true, nil
			default:
				byID[rec.ID] = len(out)
				out = append(out, rec)
			}
		}
		if !page.More || len(page.Records) == 0 || page.Cursor == cursor {
			return live(out), false, nil
		}
		cursor = page.Cursor
	}
}

func live(recs []connector.Record) []connector.Record {
	return slices.DeleteFunc(recs, func(r connector.Record) bool { return r.Archived })
}

// previewPlan pairs records as a run would and counts its writes.
type previewPlan struct {
	p     *Preview
	os    store.ObjectSync
	links map[int64]store.Link // by hub id
	// byExt are the links by external id; hubs and apps the records by id.
	byExt map[string]store.Link
	hubs  map[int64]store.Record
	apps  map[string]connector.Record
	// hubKeys and appKeys are the unpaired records by match key value.
	hubKeys map[string][]store.Record
	appKeys map[string][]connector.Record
	// done are the external records paired already; taken the hub ones.
	done  map[string]bool
	taken map[int64]bool
}

func (pl *previewPlan) index(hubs []store.Record, apps []connector.Record) {
	os := pl.os
	pl.byExt, pl.hubs, pl.apps = map[string]store.Link{}, map[int64]store.Record{}, map[string]connector.Record{}
	pl.hubKeys, pl.appKeys = map[string][]store.Record{}, map[string][]connector.Record{}
	for _, l := range pl.links {
		pl.byExt[l.ExternalID] = l
	}
	for _, h := range hubs {
		pl.hubs[h.ID] = h
		if _, linked := pl.links[h.ID]; !linked && os.HubMatchKey != "" {
			if k := lower(h.Props[os.HubMatchKey]); k != "" {
				pl.hubKeys[k] = append(pl.hubKeys[k], h)
			}
		}
	}
	for _, a := range apps {
		pl.apps[a.ID] = a
		if _, linked := pl.byExt[a.ID]; !linked && os.AppMatchKey != "" {
			if k := lower(a.Props[os.AppMatchKey]); k != "" {
				pl.appKeys[k] = append(pl.appKeys[k], a)
			}
		}
	}
}

// fromHub plans a hub record as delivering it to the app would.
func (pl *previewPlan) fromHub(h store.Record) {
	os := pl.os
	if !passes(os.HubFilters, h.Props) {
		pl.p.ToApp.Excluded++
		return
	}
	if link, linked := pl.links[h.ID]; linked {
		if a, ok := pl.apps[link.ExternalID]; ok {
			pl.pair(h, a, link.Snapshot, true)
		}
		return
	}
	if pl.taken[h.ID] {
		return
	}
	for _, a := range pl.appKeys[lower(h.Props[os.HubMatchKey])] {
		if !pl.done[a.ID] {
			pl.p.Matched++
			pl.pair(h, a, nil, false)
			return
		}
	}
	pl.taken[h.ID] = true
	pl.p.ToApp.Create++
}

// fromApp plans an external record not paired yet as delivering it to the
// hub would.
func (pl *previewPlan) fromApp(a connector.Record) {
	os := pl.os
	if pl.done[a.ID] {
		return
	}
	if !passes(os.AppFilters, a.Props) {
		pl.p.ToHub.Excluded++
		return
	}
	if link, linked := pl.byExt[a.ID]; linked {
		if h, ok := pl.hubs[link.HubID]; ok {
			pl.pair(h, a, link.Snapshot, true)
		}
		return
	}
	for _, h := range pl.hubKeys[lower(a.Props[os.AppMatchKey])] {
		if !pl.taken[h.ID] {
			pl.p.Matched++
			pl.pair(h, a, nil, false)
			return
		}
	}
	pl.done[a.ID] = true
	pl.p.ToHub.Create++
}

// pair merges a pair as planPair does and counts the writes.
func (pl *previewPlan) pair(h store.Record, a connector.Record, snapshot map[string]string, hasBase bool) {
	os := pl.os
	pl.done[a.ID], pl.taken[h.ID] = true, true
	appValues := appView(os.Mappings, a.Props)
	o := merge(os.Mappings, os.Direction, os.ConflictRule, effectiveBase(snapshot, appValues), hasBase,
		version{hubView(os.Mappings, h.Props), h.UpdatedAt}, version{appValues, a.UpdatedAt})
	pl.p.Conflicts += o.conflicts
	if len(o.toApp) > 0 {
		pl.p.ToApp.Update++
	}
	if len(o.toHub) > 0 {
		pl.p.ToHub.Update++
	}
}

// Summary says a preview in one sentence per side, for people.
func (p Preview) Summary() string {
	side := func(s PreviewSide, where string) string {
		return fmt.Sprintf("%d to create and %d to update %s, %d left out by filters", s.Create, s.Update, where, s.Excluded)
	}
	var b strings.Builder
	b.WriteString(side(p.ToApp, "on the external side"))
	b.WriteString("; ")
	b.WriteString(side(p.ToHub, "in the hub"))
	fmt.Fprintf(&b, "; %d paired by match key, %d conflicts", p.Matched, p.Conflicts)
	if p.Limited {
		fmt.Fprintf(&b, " (counted over the first %d records of each side)", MaxPreviewed)
	}
	return b.String()
}

package syncer

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/store"
)

// Changing an object sync. What an update may change: direction, mappings,
// filters, match keys, conflict rule, whether deletes propagate, and
// whether it is enabled. Not the hub or external object: its links pair
// records of those two, and mean nothing for others (remove the sync and
// add another). A change takes effect on the next run: it moves the
// connection's generation, so a run under way stops at its next write
// (settingsKept).
//
// What a change does to what the sync kept:
//   - Links stay, so records paired before are never paired again or
//     duplicated.
//   - A field whose external side or type changed, or that is added or
//     dropped, loses its value last synced in every link's snapshot: it
//     merges as on first contact (an empty side takes the other's value,
//     two values are a conflict under the rule), never as if one side had
//     cleared it.
//   - A change of the mappings, filters or direction reads both sides
//     again from the start (cursors reset), so records synced under the
//     old settings, or left out by them, are synced under the new ones;
//     pairs that already agree write nothing.
//   - A conflict rule, match key or deletes change applies to what
//     happens from now on; disabling and enabling keep links and cursors,
//     so what changed meanwhile is delivered when the sync is enabled.

// ObjectSyncChange says what an update changes; nil fields stay as they
// are. Mappings replaces every mapping; SetFields then adds or replaces
// mappings by hub property, and DropFields removes them.
type ObjectSyncChange struct {
	Direction        *string
	Mappings         []store.FieldMapping
	SetFields        []store.FieldMapping
	DropFields       []string
	HubFilters       *[]store.Filter
	AppFilters       *[]store.Filter
	HubMatchKey      *string
	AppMatchKey      *string
	ConflictRule     *string
	PropagateDeletes *bool
	Enabled          *bool
}

// UpdateObjectSync changes an object sync of a connection. Names it
// introduces, and all its external fields when it is enabled, are checked
// as on add.
func (e *Engine) UpdateObjectSync(ctx context.Context, a audit.Actor, connectionID, syncID int64, ch ObjectSyncChange) (store.ObjectSync, error) {
	if reflect.ValueOf(ch).IsZero() {
		return store.ObjectSync{}, fmt.Errorf("%w: nothing to change: give the direction, mappings, filters, match keys, conflict rule, "+
			"whether deletes propagate, or whether the sync is enabled", connection.ErrInvalid)
	}
	cur, err := e.syncToChange(ctx, a, connectionID, syncID)
	if err != nil {
		return cur, err
	}
	next, err := changed(cur, ch)
	if err != nil {
		return cur, err
	}
	if err := e.checkNewFields(ctx, cur, next); err != nil {
		return cur, err
	}
	err = e.st.Update(ctx, func(tx store.Tx) error {
		locked, err := syncOf(ctx, tx, connectionID, syncID, true)
		if err != nil {
			return err
		}
		if !locked.UpdatedAt.Equal(cur.UpdatedAt) {
			return fmt.Errorf("%w: object sync %d was changed by someone else meanwhile; look at it again and retry", connection.ErrInvalid, syncID)
		}
		if err := e.adjust(ctx, tx, cur, next); err != nil {
			return err
		}
		// Strictly later, so that a run under way tells the change apart
		// even within one millisecond (settingsKept).
		next.UpdatedAt = later(e.clock(), cur.UpdatedAt)
		if err := tx.UpdateObjectSync(ctx, next); err != nil {
			return err
		}
		if _, err := tx.BumpConnectionGeneration(ctx, connectionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, e.clock(), a, updateAction(cur, next), "connection", strconv.FormatInt(connectionID, 10),
			syncFields(cur), syncFields(next))
	})
	if err != nil {
		return cur, err
	}
	return next, nil
}

// RemoveObjectSync deletes an object sync with its links, cursors and
// record errors. Added again later, it pairs records afresh by its match
// key.
func (e *Engine) RemoveObjectSync(ctx context.Context, a audit.Actor, connectionID, syncID int64) error {
	return e.st.Update(ctx, func(tx store.Tx) error {
		if err := connection.Authorize(ctx, tx, a); err != nil {
			return err
		}
		os, err := syncOf(ctx, tx, connectionID, syncID, false)
		if err != nil {
			return err
		}
		before := syncFields(os)
		n, err := tx.CountLinks(ctx, os.ID)
		if err != nil {
			return err
		}
		before["links"] = strconv.Itoa(n)
		if err := tx.DeleteObjectSync(ctx, os.ID); err != nil {
			return err
		}
		if _, err := tx.BumpConnectionGeneration(ctx, connectionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, e.clock(), a, "object_sync.remove", "connection", strconv.FormatInt(connectionID, 10), before, nil)
	})
}

// settingsKept stops a run when one of its object syncs was changed or
// removed since it read them: its steps were planned under the old
// settings, and what they would store (links, snapshots, a cursor) would
// undo the change. Such a change moves the connection's generation, so a
// run asks this only when the generation moved.
func (e *Engine) settingsKept(ctx context.Context, tx store.Tx, r *run) error {
	now, err := tx.ObjectSyncs(ctx, r.sess.Connection.ID)
	if err != nil {
		return err
	}
	for _, was := range r.syncs {
		i := slices.IndexFunc(now, func(os store.ObjectSync) bool { return os.ID == was.ID })
		if i < 0 || !now[i].UpdatedAt.Equal(was.UpdatedAt) {
			return &connection.StopError{Why: fmt.Sprintf("object sync %d was changed while the run was under way; the next run uses the new settings", was.ID)}
		}
	}
	return nil
}

// syncOf reads an object sync of a connection (locking the connection
// first, as every change of the connection does); live refuses a
// connection that was deleted.
// syncToChange is the live object sync a may change, read after checking
// that a may manage integrations.
func (e *Engine) syncToChange(ctx context.Context, a audit.Actor, connectionID, syncID int64) (cur store.ObjectSync, err error) {
	err = e.st.View(ctx, func(tx store.Tx) error {
		if err := connection.Authorize(ctx, tx, a); err != nil {
			return err
		}
		cur, err = syncOf(ctx, tx, connectionID, syncID, true)
		return err
	})
	return cur, err
}

func syncOf(ctx context.Context, tx store.Tx, connectionID, syncID int64, live bool) (store.ObjectSync, error) {
	c, err := tx.Connection(ctx, connectionID)
	if err != nil {
		return store.ObjectSync{}, err
	}
	if live && c.Status == connection.StatusDisconnected {
		return store.ObjectSync{}, fmt.Errorf("%w: connection %d was deleted", connection.ErrInvalid, connectionID)
	}
	os, err := tx.ObjectSync(ctx, syncID)
	if err == nil && os.ConnectionID != connectionID {
		err = store.ErrNotFound
	}
	if err != nil {
		return os, fmt.Errorf("connection %d has no object sync %d (see sync-config list): %w", connectionID, syncID, store.ErrNotFound)
	}
	return os, nil
}

// changed is cur with ch applied, checked as a whole.
func changed(cur store.ObjectSync, ch ObjectSyncChange) (store.ObjectSync, error) {
	next := cur
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&next.Direction, ch.Direction)
	set(&next.ConflictRule, ch.ConflictRule)
	if ch.Mappings != nil {
		next.Mappings = ch.Mappings
	}
	next.Mappings = withFields(next.Mappings, ch.SetFields, ch.DropFields)
	if ch.HubFilters != nil {
		next.HubFilters = *ch.HubFilters
	}
	if ch.AppFilters != nil {
		next.AppFilters = *ch.AppFilters
	}
	set(&next.HubMatchKey, ch.HubMatchKey)
	set(&next.AppMatchKey, ch.AppMatchKey)
	if ch.HubMatchKey != nil && ch.AppMatchKey == nil {
		next.AppMatchKey = appName(next.Mappings, next.HubMatchKey)
	}
	if ch.PropagateDeletes != nil {
		next.PropagateDeletes = *ch.PropagateDeletes
	}
	if ch.Enabled != nil {
		next.Enabled = *ch.Enabled
	}
	for _, f := range ch.DropFields {
		if !slices.ContainsFunc(cur.Mappings, func(m store.FieldMapping) bool { return m.Hub == f }) && ch.Mappings == nil {
			return cur, fmt.Errorf("%w: object sync %d maps no hub property %q", connection.ErrInvalid, cur.ID, f)
		}
	}
	return next, checkObjectSync(next)
}

// withFields is ms with set added or replacing a mapping of the same hub
// property, and drop removed.
func withFields(ms, set []store.FieldMapping, drop []string) []store.FieldMapping {
	out := slices.Clone(ms)
	for _, s := range set {
		if i := slices.IndexFunc(out, func(m store.FieldMapping) bool { return m.Hub == s.Hub }); i >= 0 {
			out[i] = s
		} else {
			out = append(out, s)
		}
	}
	return slices.DeleteFunc(out, func(m store.FieldMapping) bool { return slices.Contains(drop, m.Hub) })
}

// checkNewFields checks the names next brings in, and all of them when it
// enables the sync (either side may have changed meanwhile).
func (e *Engine) checkNewFields(ctx context.Context, cur, next store.ObjectSync) error {
	enabling := next.Enabled && !cur.Enabled
	if enabling || gained(hubFields(cur), hubFields(next)) {
		if err := e.checkHubFields(ctx, next); err != nil {
			return err
		}
	}
	if enabling || gained(readFields(cur), readFields(next)) {
		return e.checkAppFields(ctx, next)
	}
	return nil
}

// gained reports whether next holds a name was does not.
func gained(was, next []string) bool {
	return slices.ContainsFunc(next, func(f string) bool { return !slices.Contains(was, f) })
}

// adjust makes what the sync kept fit next, in the change's transaction
// (see the notes at the top of this file).
func (e *Engine) adjust(ctx context.Context, tx store.Tx, cur, next store.ObjectSync) error {
	var forget []string
	for _, f := range fieldsOf(cur.Mappings, next.Mappings) {
		was, had := mappingOf(cur.Mappings, f)
		is, has := mappingOf(next.Mappings, f)
		if !had || !has || was.App != is.App || was.Type != is.Type {
			forget = append(forget, f, pendingKey+f)
		}
	}
	if err := tx.ForgetSnapshotFields(ctx, cur.ID, forget); err != nil {
		return err
	}
	if slices.Equal(cur.Mappings, next.Mappings) && slices.Equal(cur.HubFilters, next.HubFilters) &&
		slices.Equal(cur.AppFilters, next.AppFilters) && cur.Direction == next.Direction {
		return nil
	}
	for _, side := range []string{store.SideHub, store.SideApp} {
		if err := tx.SetSyncCursor(ctx, cur.ID, side, ""); err != nil {
			return err
		}
	}
	return nil
}

// fieldsOf are the hub properties either list maps.
func fieldsOf(a, b []store.FieldMapping) []string {
	var out []string
	for _, m := range slices.Concat(a, b) {
		out = append(out, m.Hub)
	}
	return uniq(out)
}

func mappingOf(ms []store.FieldMapping, hub string) (store.FieldMapping, bool) {
	i := slices.IndexFunc(ms, func(m store.FieldMapping) bool { return m.Hub == hub })
	if i < 0 {
		return store.FieldMapping{}, false
	}
	return ms[i], true
}

// later is now, or a millisecond (what the store keeps) after last if that
// is not earlier.
func later(now, last time.Time) time.Time {
	if now.Truncate(time.Millisecond).After(last) {
		return now
	}
	return last.Add(time.Millisecond)
}

// updateAction names a change in the audit log: enabling or disabling
// alone has a name of its own.
func updateAction(cur, next store.ObjectSync) string {
	only := cur
	only.Enabled = next.Enabled
	switch {
	case cur.Enabled == next.Enabled || !maps.Equal(syncFields(only), syncFields(next)):
		return "object_sync.update"
	case next.Enabled:
		return "object_sync.enable"
	}
	return "object_sync.disable"
}

// syncFields is what the audit log keeps of an object sync.
func syncFields(os store.ObjectSync) map[string]string {
	m := map[string]string{"object_sync": strconv.FormatInt(os.ID, 10), "object": os.HubObject, "external_object": os.ExternalObject,
		"direction": os.Direction, "conflict_rule": os.ConflictRule, "propagate_deletes": strconv.FormatBool(os.PropagateDeletes),
		"enabled": strconv.FormatBool(os.Enabled), "fields": mappingText(os.Mappings)}
	if os.HubMatchKey != "" {
		m["match_on"] = os.HubMatchKey + "=" + os.AppMatchKey
	}
	if len(os.HubFilters) > 0 {
		m["hub_filters"] = filterText(os.HubFilters)
	}
	if len(os.AppFilters) > 0 {
		m["app_filters"] = filterText(os.AppFilters)
	}
	return m
}

// mappingText writes mappings as the command line takes them:
// hub=app[:type[:direction]], comma-separated.
func mappingText(ms []store.FieldMapping) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = strings.TrimRight(m.Hub+"="+m.App+":"+m.Type+":"+m.Direction, ":")
	}
	return strings.Join(out, ", ")
}

func filterText(fs []store.Filter) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = strings.TrimRight(f.Property+":"+f.Operator+":"+f.Value, ":")
	}
	return strings.Join(out, ", ")
}

package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// ObjectSyncInput describes an object sync; empty fields take defaults:
// the external object of the same name, two-way, the default mappings and
// match keys of the object, most_recent.
type ObjectSyncInput struct {
	HubObject        string
	ExternalObject   string
	Direction        string
	Mappings         []store.FieldMapping
	HubFilters       []store.Filter
	AppFilters       []store.Filter
	HubMatchKey      *string
	AppMatchKey      *string
	ConflictRule     string
	PropagateDeletes bool
}

// AddObjectSync adds an object sync to a connection. The hub object must be
// one the connection was granted, and the fields it names must exist on
// both sides (see fields.go).
func (e *Engine) AddObjectSync(ctx context.Context, a audit.Actor, connectionID int64, in ObjectSyncInput) (store.ObjectSync, error) {
	os, err := objectSync(in)
	if err != nil {
		return os, err
	}
	os.ConnectionID, os.Enabled, os.CreatedAt, os.UpdatedAt = connectionID, true, e.clock(), e.clock()
	if err := e.st.View(ctx, func(tx store.Tx) error { return connection.Authorize(ctx, tx, a) }); err != nil {
		return os, err
	}
	if err := e.checkHubFields(ctx, os); err != nil {
		return os, err
	}
	if err := e.checkAppFields(ctx, os); err != nil {
		return os, err
	}
	err = e.st.Update(ctx, func(tx store.Tx) error {
		if err := connection.Authorize(ctx, tx, a); err != nil {
			return err
		}
		if err := addable(ctx, tx, connectionID, os); err != nil {
			return err
		}
		var err error
		if os, err = tx.CreateObjectSync(ctx, os); err != nil {
			return err
		}
		return audit.Record(ctx, tx, e.clock(), a, "object_sync.create", "connection", strconv.FormatInt(connectionID, 10), nil, syncFields(os))
	})
	return os, err
}

// addable refuses an object sync the connection may not have: of an object
// it was not granted, or of an object one of its syncs pairs already.
func addable(ctx context.Context, tx store.Tx, connectionID int64, os store.ObjectSync) error {
	c, err := tx.Connection(ctx, connectionID)
	if err != nil {
		return err
	}
	if !slices.Contains(c.Objects, os.HubObject) {
		return fmt.Errorf("%w: connection %d does not sync %s (it syncs %v)", connection.ErrInvalid, c.ID, os.HubObject, c.Objects)
	}
	existing, err := tx.ObjectSyncs(ctx, connectionID)
	if err != nil {
		return err
	}
	for _, x := range existing {
		if x.HubObject == os.HubObject || x.ExternalObject == os.ExternalObject {
			return fmt.Errorf("%w: connection %d already syncs %s with %s (object sync %d); change it with sync-config update, or remove it first",
				store.ErrAlreadyExists, connectionID, x.HubObject, x.ExternalObject, x.ID)
		}
	}
	return nil
}

func objectSync(in ObjectSyncInput) (store.ObjectSync, error) {
	os := store.ObjectSync{HubObject: in.HubObject, ExternalObject: in.ExternalObject, Direction: in.Direction,
		Mappings: in.Mappings, HubFilters: in.HubFilters, AppFilters: in.AppFilters, ConflictRule: in.ConflictRule,
		PropagateDeletes: in.PropagateDeletes}
	if _, ok := defaultFields[os.HubObject]; !ok {
		return os, fmt.Errorf("%w: unknown hub object %q", connection.ErrInvalid, os.HubObject)
	}
	if os.ExternalObject == "" {
		os.ExternalObject = os.HubObject
	}
	if os.Direction == "" {
		os.Direction = store.DirectionTwoWay
	}
	if len(os.Mappings) == 0 {
		os.Mappings = DefaultMappings(os.HubObject)
	}
	os.HubMatchKey, os.AppMatchKey = DefaultMatchKey(os.HubObject), DefaultMatchKey(os.HubObject)
	if in.HubMatchKey != nil {
		os.HubMatchKey = *in.HubMatchKey
	}
	if in.AppMatchKey != nil {
		os.AppMatchKey = *in.AppMatchKey
	} else if in.HubMatchKey != nil {
		os.AppMatchKey = appName(os.Mappings, os.HubMatchKey)
	}
	if os.ConflictRule == "" {
		os.ConflictRule = RuleMostRecent
	}
	return os, checkObjectSync(os)
}

func checkObjectSync(os store.ObjectSync) error {
	wrap := func(err error) error { return fmt.Errorf("%w: %v", connection.ErrInvalid, err) }
	if !slices.Contains([]string{store.DirectionTwoWay, store.DirectionToHub, store.DirectionToApp}, os.Direction) {
		return wrap(fmt.Errorf("direction must be two_way, to_hub or to_app, not %q", os.Direction))
	}
	if !slices.Contains([]string{RuleMostRecent, RuleHubWins, RuleAppWins}, os.ConflictRule) {
		return wrap(fmt.Errorf("conflict rule must be most_recent, hub_wins or app_wins, not %q", os.ConflictRule))
	}
	if err := checkMappings(os.Direction, os.Mappings); err != nil {
		return wrap(err)
	}
	if err := checkFilters(os.HubFilters); err != nil {
		return wrap(err)
	}
	if err := checkFilters(os.AppFilters); err != nil {
		return wrap(err)
	}
	if (os.HubMatchKey == "") != (os.AppMatchKey == "") {
		return wrap(fmt.Errorf("match keys come in pairs: a hub property and an external field"))
	}
	return nil
}

// appName is the external field a hub property maps to, or the same name.
func appName(ms []store.FieldMapping, hub string) string {
	for _, m := range ms {
		if m.Hub == hub {
			return m.App
		}
	}
	return hub
}

// ObjectSyncs lists a connection's object syncs.
func (e *Engine) ObjectSyncs(ctx context.Context, connectionID int64) ([]store.ObjectSync, error) {
	var out []store.ObjectSync
	err := e.st.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.ObjectSyncs(ctx, connectionID)
		return err
	})
	return out, err
}

// MaxListed is the most runs, or record errors, one list gives.
const MaxListed = 1000

// Runs lists a connection's runs, newest first: limit of them, at most
// MaxListed.
func (e *Engine) Runs(ctx context.Context, connectionID int64, limit int) ([]store.SyncRun, error) {
	limit = min(limit, MaxListed)
	var out []store.SyncRun
	err := e.st.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.SyncRuns(ctx, connectionID, limit)
		return err
	})
	return out, err
}

// RecordErrors lists a connection's quarantined records, newest first:
// limit of them, at most MaxListed.
func (e *Engine) RecordErrors(ctx context.Context, connectionID int64, unresolved bool, limit int) ([]store.RecordError, error) {
	limit = min(limit, MaxListed)
	var out []store.RecordError
	err := e.st.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.RecordErrors(ctx, connectionID, unresolved, limit)
		return err
	})
	return out, err
}

// Retry processes a quarantined record again, from the side where it
// changed, and resolves the error when it goes through. Like a run, it
// leaves alone an object sync that is disabled or whose object the
// connector user may not edit.
func (e *Engine) Retry(ctx context.Context, a audit.Actor, connectionID, errorID int64) error {
	var rerr store.RecordError
	err := e.st.View(ctx, func(tx store.Tx) error {
		if err := connection.Authorize(ctx, tx, a); err != nil {
			return err
		}
		errs, err := tx.RecordErrors(ctx, connectionID, true, 10_000)
		if err != nil {
			return err
		}
		for _, x := range errs {
			if x.ID == errorID {
				rerr = x
			}
		}
		if rerr.ID == 0 {
			return fmt.Errorf("%w: connection %d has no open record error %d", store.ErrNotFound, connectionID, errorID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		return audit.Record(ctx, tx, e.clock(), a, "record_error.retry", "connection", strconv.FormatInt(connectionID, 10), nil,
			map[string]string{"record_error": strconv.FormatInt(errorID, 10)})
	}); err != nil {
		return err
	}
	r, err := e.begin(ctx, connectionID, "retry")
	if err != nil {
		return err
	}
	// Read after the session opened, so that a change of the object sync
	// since moves the generation the run's writes check.
	var os store.ObjectSync
	err = e.st.View(ctx, func(tx store.Tx) error {
		var err error
		os, err = tx.ObjectSync(ctx, rerr.SyncID)
		return err
	})
	r.syncs, r.object = []store.ObjectSync{os}, os.HubObject
	if err == nil && !os.Enabled {
		err = &connection.StopError{Why: fmt.Sprintf("object sync %d is disabled; enable it to retry its records", os.ID)}
	}
	if err == nil {
		err = r.sess.Blocked(os.HubObject)
	}
	switch {
	case err != nil:
	case rerr.HubID != 0:
		err = e.retryHub(ctx, r, os, rerr.HubID)
	default:
		err = e.retryApp(ctx, r, os, rerr.ExternalID)
	}
	if err == nil && r.rec.Counts[os.HubObject+".to_app.failed"]+r.rec.Counts[os.HubObject+".to_hub.failed"] == 0 {
		err = e.st.Update(ctx, func(tx store.Tx) error { return tx.ResolveRecordError(ctx, rerr.ID, e.clock()) })
	}
	return errors.Join(err, e.finish(ctx, r, err))
}

func (e *Engine) retryHub(ctx context.Context, r *run, os store.ObjectSync, hubID int64) error {
	step := hubStep{links: map[int64]store.Link{}}
	err := e.st.View(ctx, func(tx store.Tx) error {
		var err error
		if step.records, err = tx.Records(ctx, os.HubObject, []int64{hubID}); err != nil {
			return err
		}
		links, err := tx.LinksByHubID(ctx, os.ID, []int64{hubID})
		for _, l := range links {
			step.links[l.HubID] = l
		}
		return err
	})
	if err != nil {
		return err
	}
	_, err = e.deliverToApp(ctx, r, os, step, "")
	return err
}

func (e *Engine) retryApp(ctx context.Context, r *run, os store.ObjectSync, externalID string) error {
	recs, err := e.getApp(ctx, r, os, []string{externalID})
	if err != nil {
		return err
	}
	page := connector.Page{}
	for _, rec := range recs {
		page.Records = append(page.Records, rec)
	}
	_, err = e.deliverToHub(ctx, r, os, page, "")
	return err
}

// PairCount is how many record pairs (links) an object sync of a
// connection keeps: what removing it forgets.
func (e *Engine) PairCount(ctx context.Context, connectionID, syncID int64) (int, error) {
	var n int
	err := e.st.View(ctx, func(tx store.Tx) error {
		os, err := syncOf(ctx, tx, connectionID, syncID, false)
		if err != nil {
			return err
		}
		n, err = tx.CountLinks(ctx, os.ID)
		return err
	})
	return n, err
}

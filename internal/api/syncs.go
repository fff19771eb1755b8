package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

func (a *Admin) syncRoutes(handle func(string, gate, func(adminCall) (int, any, error))) {
	handle("GET /api/v1/connections/{id}/syncs", viewIntegrations, a.listSyncs)
	handle("POST /api/v1/connections/{id}/syncs", manageIntegrations, a.addSync)
	handle("POST /api/v1/connections/{id}/syncs/dry-run", manageIntegrations, a.dryRunSync)
	handle("PATCH /api/v1/connections/{id}/syncs/{sync}", manageIntegrations, a.updateSync)
	handle("DELETE /api/v1/connections/{id}/syncs/{sync}", manageIntegrations, a.removeSync)
	handle("POST /api/v1/connections/{id}/sync-now", manageIntegrations, a.syncNow)
	handle("GET /api/v1/connections/{id}/runs", viewIntegrations, a.listRuns)
	handle("GET /api/v1/connections/{id}/errors", viewIntegrations, a.listRecordErrors)
	handle("POST /api/v1/connections/{id}/errors/{error}/retry", manageIntegrations, a.retryRecord)
	handle("POST /api/v1/connections/{id}/errors/retry", manageIntegrations, a.retryGroup)
	handle("GET /api/v1/connections/{id}/health", viewIntegrations, a.health)
}

// ObjectSyncView is an object sync.
type ObjectSyncView struct {
	ID               int64                `json:"id"`
	HubObject        string               `json:"hub_object"`
	ExternalObject   string               `json:"external_object"`
	Direction        string               `json:"direction"`
	Mappings         []store.FieldMapping `json:"mappings"`
	HubFilters       []store.Filter       `json:"hub_filters"`
	AppFilters       []store.Filter       `json:"app_filters"`
	HubMatchKey      string               `json:"hub_match_key,omitempty"`
	AppMatchKey      string               `json:"app_match_key,omitempty"`
	ConflictRule     string               `json:"conflict_rule"`
	PropagateDeletes bool                 `json:"propagate_deletes"`
	Enabled          bool                 `json:"enabled"`
}

// NewObjectSyncView shows an object sync.
func NewObjectSyncView(o store.ObjectSync) ObjectSyncView {
	v := ObjectSyncView{ID: o.ID, HubObject: o.HubObject, ExternalObject: o.ExternalObject, Direction: o.Direction,
		Mappings: o.Mappings, HubFilters: o.HubFilters, AppFilters: o.AppFilters, HubMatchKey: o.HubMatchKey,
		AppMatchKey: o.AppMatchKey, ConflictRule: o.ConflictRule, PropagateDeletes: o.PropagateDeletes, Enabled: o.Enabled}
	if v.HubFilters == nil {
		v.HubFilters = []store.Filter{}
	}
	if v.AppFilters == nil {
		v.AppFilters = []store.Filter{}
	}
	return v
}

// RunView is a sync run.
type RunView struct {
	ID         int64      `json:"id"`
	Trigger    string     `json:"trigger"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Duration   string     `json:"duration,omitempty"`
	// LastSeenAt is when the run last saved its progress: for an
	// interrupted run, the last sign of its process.
	LastSeenAt *time.Time     `json:"last_seen_at,omitempty"`
	Counts     map[string]int `json:"counts"`
	Error      string         `json:"error,omitempty"`
}

// NewRunView shows a run.
func NewRunView(r store.SyncRun) RunView {
	v := RunView{ID: r.ID, Trigger: r.Trigger, Status: r.Status, StartedAt: r.StartedAt, FinishedAt: optTime(r.FinishedAt),
		LastSeenAt: optTime(r.HeartbeatAt), Counts: r.Counts, Error: r.Error}
	if !r.FinishedAt.IsZero() {
		v.Duration = r.FinishedAt.Sub(r.StartedAt).String()
	}
	if v.Counts == nil {
		v.Counts = map[string]int{}
	}
	return v
}

// RecordErrorView is a quarantined record.
type RecordErrorView struct {
	ID         int64      `json:"id"`
	SyncID     int64      `json:"sync_id"`
	Side       string     `json:"refused_by"`
	HubID      int64      `json:"hub_id,omitempty"`
	ExternalID string     `json:"external_id,omitempty"`
	Reason     string     `json:"reason"`
	Message    string     `json:"message"`
	Attempts   int        `json:"attempts"`
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// NewRecordErrorView shows a quarantined record.
func NewRecordErrorView(e store.RecordError) RecordErrorView {
	return RecordErrorView{ID: e.ID, SyncID: e.SyncID, Side: e.Side, HubID: e.HubID, ExternalID: e.ExternalID, Reason: e.Reason,
		Message: e.Message, Attempts: e.Attempts, FirstSeen: e.CreatedAt, LastSeen: e.UpdatedAt, ResolvedAt: optTime(e.ResolvedAt)}
}

func (a *Admin) listSyncs(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	syncs, err := a.Syncer.ObjectSyncs(c.r.Context(), id)
	out := make([]ObjectSyncView, len(syncs))
	for i, o := range syncs {
		out[i] = NewObjectSyncView(o)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

type objectSyncJSON struct {
	HubObject        string               `json:"hub_object"`
	ExternalObject   string               `json:"external_object"`
	Direction        string               `json:"direction"`
	Mappings         []store.FieldMapping `json:"mappings"`
	HubFilters       []store.Filter       `json:"hub_filters"`
	AppFilters       []store.Filter       `json:"app_filters"`
	HubMatchKey      *string              `json:"hub_match_key"`
	AppMatchKey      *string              `json:"app_match_key"`
	ConflictRule     string               `json:"conflict_rule"`
	PropagateDeletes bool                 `json:"propagate_deletes"`
}

func (a *Admin) addSync(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	var in objectSyncJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	o, err := a.Syncer.AddObjectSync(c.r.Context(), actor(c.user), id, syncer.ObjectSyncInput(in))
	return http.StatusCreated, NewObjectSyncView(o), err
}

// dryRunSync counts what the next run would do under an object sync's
// settings, saving nothing: the body of an add, or with ?sync=<id> the body
// of an update of that object sync.
func (a *Admin) dryRunSync(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	if c.r.URL.Query().Get("sync") == "" {
		var in objectSyncJSON
		if err := decode(c.r, &in); err != nil {
			return 0, nil, err
		}
		p, err := a.Syncer.PreviewAdd(c.r.Context(), actor(c.user), id, syncer.ObjectSyncInput(in))
		return http.StatusOK, p, err
	}
	syncID, err := strconv.ParseInt(c.r.URL.Query().Get("sync"), 10, 64)
	if err != nil || syncID < 1 {
		return 0, nil, badRequest("INVALID_SYNC", "sync must be the id of one of the connection's object syncs")
	}
	var in objectSyncPatchJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if in.HubObject != nil || in.ExternalObject != nil {
		if err := a.sameObjects(c, id, syncID, in); err != nil {
			return 0, nil, err
		}
	}
	p, err := a.Syncer.PreviewUpdate(c.r.Context(), actor(c.user), id, syncID, in.change())
	return http.StatusOK, p, err
}

// objectSyncPatchJSON is a change to an object sync: the fields given
// change, the others stay. The objects cannot change; they may be given as
// they are, as a client that read the sync sends them back.
type objectSyncPatchJSON struct {
	HubObject        *string              `json:"hub_object"`
	ExternalObject   *string              `json:"external_object"`
	Direction        *string              `json:"direction"`
	Mappings         []store.FieldMapping `json:"mappings"`
	HubFilters       *[]store.Filter      `json:"hub_filters"`
	AppFilters       *[]store.Filter      `json:"app_filters"`
	HubMatchKey      *string              `json:"hub_match_key"`
	AppMatchKey      *string              `json:"app_match_key"`
	ConflictRule     *string              `json:"conflict_rule"`
	PropagateDeletes *bool                `json:"propagate_deletes"`
	Enabled          *bool                `json:"enabled"`
}

func (in objectSyncPatchJSON) change() syncer.ObjectSyncChange {
	return syncer.ObjectSyncChange{Direction: in.Direction, Mappings: in.Mappings, HubFilters: in.HubFilters,
		AppFilters: in.AppFilters, HubMatchKey: in.HubMatchKey, AppMatchKey: in.AppMatchKey, ConflictRule: in.ConflictRule,
		PropagateDeletes: in.PropagateDeletes, Enabled: in.Enabled}
}

// syncPath reads the connection and object sync ids of the path.
func syncPath(c adminCall) (id, syncID int64, err error) {
	if id, err = pathID(c); err != nil {
		return 0, 0, err
	}
	syncID, err = idParam(c, "sync")
	return id, syncID, err
}

func (a *Admin) updateSync(c adminCall) (int, any, error) {
	id, syncID, err := syncPath(c)
	if err != nil {
		return 0, nil, err
	}
	var in objectSyncPatchJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	ch := in.change()
	if in.HubObject != nil || in.ExternalObject != nil {
		if err := a.sameObjects(c, id, syncID, in); err != nil {
			return 0, nil, err
		}
	}
	o, err := a.Syncer.UpdateObjectSync(c.r.Context(), actor(c.user), id, syncID, ch)
	return http.StatusOK, NewObjectSyncView(o), err
}

// sameObjects refuses a change of an object sync's objects: its links pair
// records of those two.
func (a *Admin) sameObjects(c adminCall, id, syncID int64, in objectSyncPatchJSON) error {
	syncs, err := a.Syncer.ObjectSyncs(c.r.Context(), id)
	if err != nil {
		return err
	}
	for _, o := range syncs {
		if o.ID != syncID {
			continue
		}
		if in.HubObject != nil && *in.HubObject != o.HubObject || in.ExternalObject != nil && *in.ExternalObject != o.ExternalObject {
			return badRequest("OBJECTS_FIXED", fmt.Sprintf("object sync %d pairs %s with %s, which cannot change: its links pair records of those; "+
				"remove it and add another", syncID, o.HubObject, o.ExternalObject))
		}
	}
	return nil
}

func (a *Admin) removeSync(c adminCall) (int, any, error) {
	id, syncID, err := syncPath(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.Syncer.RemoveObjectSync(c.r.Context(), actor(c.user), id, syncID)
}

func (a *Admin) syncNow(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	conn, err := a.Connections.Get(c.r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if conn.Status != connection.StatusActive && conn.Status != connection.StatusDegraded {
		return 0, nil, &apiError{status: http.StatusConflict, category: catConflict, subCategory: "CONNECTION_HELD",
			message: fmt.Sprintf("connection %d is %s and does not sync: %s", id, conn.Status, conn.ReasonMessage)}
	}
	return http.StatusAccepted, map[string]any{"connection_id": id, "queued": true}, a.Enqueue(c.r.Context(), id, "manual")
}

func (a *Admin) listRuns(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	limit, err := queryLimit(c, 50, syncer.MaxListed)
	if err != nil {
		return 0, nil, err
	}
	runs, err := a.Syncer.Runs(c.r.Context(), id, limit)
	out := make([]RunView, len(runs))
	for i, r := range runs {
		out[i] = NewRunView(r)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

func (a *Admin) listRecordErrors(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	limit, err := queryLimit(c, 200, syncer.MaxListed)
	if err != nil {
		return 0, nil, err
	}
	all := c.r.URL.Query().Get("all") == "true"
	errs, err := a.Syncer.RecordErrors(c.r.Context(), id, !all, limit)
	out := make([]RecordErrorView, len(errs))
	for i, e := range errs {
		out[i] = NewRecordErrorView(e)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

func (a *Admin) retryRecord(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	errID, err := idParam(c, "error")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.Syncer.Retry(c.r.Context(), actor(c.user), id, errID)
}

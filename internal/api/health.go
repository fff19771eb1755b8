package api

import (
	"net/http"
	"time"

	"github.com/hubsync/hubsync/internal/syncer"
)

// ObjectHealthView is how one object sync is doing.
type ObjectHealthView struct {
	SyncID         int64  `json:"sync_id"`
	HubObject      string `json:"hub_object"`
	ExternalObject string `json:"external_object"`
	Enabled        bool   `json:"enabled"`
	InSync         int    `json:"in_sync"`
	// ExcludedByFilter counts the records runs of the window set aside.
	ExcludedByFilter int `json:"excluded_by_filter"`
	Failing          int `json:"failing"`
}

// ErrorGroupView is the open record errors of one kind.
type ErrorGroupView struct {
	Reason  string            `json:"reason"`
	Count   int               `json:"count"`
	Records []RecordErrorView `json:"records"`
}

// HealthView is a connection's sync health.
type HealthView struct {
	// Since starts the window the excluded counts cover.
	Since       time.Time          `json:"since"`
	Objects     []ObjectHealthView `json:"objects"`
	ErrorGroups []ErrorGroupView   `json:"error_groups"`
}

// NewHealthView shows a connection's sync health.
func NewHealthView(h syncer.Health) HealthView {
	v := HealthView{Since: h.Since, Objects: []ObjectHealthView{}, ErrorGroups: []ErrorGroupView{}}
	for _, o := range h.Objects {
		v.Objects = append(v.Objects, ObjectHealthView{SyncID: o.Sync.ID, HubObject: o.Sync.HubObject,
			ExternalObject: o.Sync.ExternalObject, Enabled: o.Sync.Enabled, InSync: o.InSync, ExcludedByFilter: o.Excluded,
			Failing: o.Failing})
	}
	for _, g := range h.Groups {
		v.ErrorGroups = append(v.ErrorGroups, ErrorGroupView{Reason: g.Reason, Count: len(g.Errors),
			Records: views(g.Errors, NewRecordErrorView)})
	}
	return v
}

func views[T, V any](items []T, view func(T) V) []V {
	out := make([]V, len(items))
	for i, x := range items {
		out[i] = view(x)
	}
	return out
}

func (a *Admin) health(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	h, err := a.Syncer.Health(c.r.Context(), id)
	return http.StatusOK, NewHealthView(h), err
}

// retryGroup retries every open record error of one kind.
func (a *Admin) retryGroup(c adminCall) (int, any, error) {
	id, err := a.connectionID(c)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if in.Reason == "" {
		return 0, nil, badRequest("INVALID_INPUT", "reason is required: the kind of record error to retry, as listed by the errors or health route")
	}
	retried, resolved, err := a.Syncer.RetryGroup(c.r.Context(), actor(c.user), id, in.Reason)
	return http.StatusOK, map[string]any{"reason": in.Reason, "retried": retried, "resolved": resolved,
		"still_failing": retried - resolved}, err
}

package api

import (
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/store"
)

// PersonView names a user a connection refers to.
type PersonView struct {
	ID     int64  `json:"id"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Status string `json:"status,omitempty"`
}

func newPersonView(u store.User) *PersonView {
	if u.ID == 0 {
		return nil
	}
	return &PersonView{ID: u.ID, Email: u.Email, Name: u.Name, Status: u.Status}
}

// IntegrationRefView names a connection's integration.
type IntegrationRefView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
	AuthKind string `json:"auth"`
}

// ConnectionSummaryView is a connection with the people, integration,
// object syncs and last run it refers to, by name rather than by id.
type ConnectionSummaryView struct {
	ConnectionView
	Integration IntegrationRefView `json:"integration"`
	Owner       *PersonView        `json:"owner,omitempty"`
	Maintainer  *PersonView        `json:"maintainer,omitempty"`
	// CreatedBy is absent for a connection the command line created.
	CreatedBy *PersonView      `json:"created_by,omitempty"`
	Syncs     []ObjectSyncView `json:"syncs"`
	LastRun   *RunView         `json:"last_run,omitempty"`
}

// NewConnectionSummaryView shows a connection summary.
func NewConnectionSummaryView(s connection.Summary) ConnectionSummaryView {
	in := s.Integration
	v := ConnectionSummaryView{ConnectionView: NewConnectionView(s.Connection),
		Integration: IntegrationRefView{ID: in.ID, Name: in.Name, Provider: in.Provider, AuthKind: in.AuthKind},
		Owner:       newPersonView(s.Owner), Maintainer: newPersonView(s.Maintainer), CreatedBy: newPersonView(s.CreatedBy),
		Syncs: make([]ObjectSyncView, len(s.Syncs))}
	for i, o := range s.Syncs {
		v.Syncs[i] = NewObjectSyncView(o)
	}
	if s.LastRun != nil {
		r := NewRunView(*s.LastRun)
		v.LastRun = &r
	}
	return v
}

package api

import (
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/store"
)

// IntegrationView is an integration; its client secret never leaves the
// vault.
type IntegrationView struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	Provider  string            `json:"provider"`
	AuthKind  string            `json:"auth"`
	Settings  map[string]string `json:"settings"`
	HasSecret bool              `json:"has_secret"`
	CreatedAt time.Time         `json:"created_at"`
}

// NewIntegrationView shows an integration.
func NewIntegrationView(in store.Integration) IntegrationView {
	settings := in.Config
	if settings == nil {
		settings = map[string]string{}
	}
	return IntegrationView{ID: in.ID, Name: in.Name, Provider: in.Provider, AuthKind: in.AuthKind,
		Settings: settings, HasSecret: len(in.Secret) > 0, CreatedAt: in.CreatedAt}
}

// ReasonView explains a status other than active.
type ReasonView struct {
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	Detail   string    `json:"detail,omitempty"`
	Since    time.Time `json:"since"`
	NextStep string    `json:"next_step"`
}

// ConnectionView is a connection; its credential never leaves the vault.
type ConnectionView struct {
	ID              int64             `json:"id"`
	Name            string            `json:"name"`
	IntegrationID   int64             `json:"integration_id"`
	AuthMode        string            `json:"auth_mode"`
	OwnerID         int64             `json:"owner_id,omitempty"`
	MaintainerID    int64             `json:"maintainer_id,omitempty"`
	Note            string            `json:"note,omitempty"`
	Objects         []string          `json:"objects"`
	Scopes          []string          `json:"scopes"`
	External        map[string]string `json:"external"`
	Config          map[string]string `json:"config,omitempty"`
	Status          string            `json:"status"`
	Reason          *ReasonView       `json:"reason,omitempty"`
	StatusChangedAt *time.Time        `json:"status_changed_at,omitempty"`
	RecoveredAt     *time.Time        `json:"recovered_at,omitempty"`
	CreatedAt       time.Time         `json:"created_at"`
	LastUsedAt      *time.Time        `json:"last_used_at,omitempty"`
	LastSuccessAt   *time.Time        `json:"last_success_at,omitempty"`
	LastErrorAt     *time.Time        `json:"last_error_at,omitempty"`
	LastError       string            `json:"last_error,omitempty"`
	LastRunAt       *time.Time        `json:"last_run_at,omitempty"`
	LastCheckAt     *time.Time        `json:"last_check_at,omitempty"`
	CredentialUntil *time.Time        `json:"credential_expires_at,omitempty"`
}

// NewConnectionView shows a connection.
func NewConnectionView(c store.Connection) ConnectionView {
	v := ConnectionView{ID: c.ID, Name: c.Name, IntegrationID: c.IntegrationID, AuthMode: c.AuthMode,
		OwnerID: c.OwnerID, MaintainerID: c.MaintainerID, Note: c.Note, Objects: nonNil(c.Objects),
		Scopes: nonNil(c.Scopes), External: c.External, Config: c.Config, Status: c.Status,
		StatusChangedAt: optTime(c.StatusChangedAt), RecoveredAt: optTime(c.RecoveredAt), CreatedAt: c.CreatedAt,
		LastUsedAt: optTime(c.LastUsedAt), LastSuccessAt: optTime(c.LastSuccessAt), LastErrorAt: optTime(c.LastErrorAt),
		LastError: c.LastError, LastRunAt: optTime(c.LastRunAt), LastCheckAt: optTime(c.LastCheckAt),
		CredentialUntil: optTime(c.CredentialExpiresAt)}
	if v.External == nil {
		v.External = map[string]string{}
	}
	if c.Reason != "" {
		v.Reason = &ReasonView{Code: c.Reason, Message: c.ReasonMessage, Detail: c.ReasonDetail, Since: c.ReasonSince, NextStep: c.NextStep}
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// StartedView answers a create or reconnect: the connection and, for
// OAuth, where the admin's browser must go to approve it.
type StartedView struct {
	Connection   ConnectionView `json:"connection"`
	AuthorizeURL string         `json:"authorize_url,omitempty"`
	// ConnectorAdvice warns about the connector user a new connection
	// runs as: a member, a missing permission, many connections.
	ConnectorAdvice []connection.Advice `json:"connector_advice,omitempty"`
}

// NewStartedView shows a started create or reconnect.
func NewStartedView(s connection.Started) StartedView {
	return StartedView{Connection: NewConnectionView(s.Connection), AuthorizeURL: s.AuthorizeURL, ConnectorAdvice: s.Advice}
}

// DiagnosisView is a diagnose report.
type DiagnosisView struct {
	Connection ConnectionView    `json:"connection"`
	Verdict    string            `json:"verdict"`
	NextStep   string            `json:"next_step,omitempty"`
	Steps      []connection.Step `json:"steps"`
}

// NewDiagnosisView shows a diagnosis.
func NewDiagnosisView(d connection.Diagnosis) DiagnosisView {
	return DiagnosisView{Connection: NewConnectionView(d.Connection), Verdict: d.Verdict, NextStep: d.Next, Steps: d.Steps}
}

// ReviewRowView is one line of the review report.
type ReviewRowView struct {
	ConnectionID  int64      `json:"connection_id"`
	Name          string     `json:"name"`
	Provider      string     `json:"provider"`
	Integration   string     `json:"integration"`
	AuthMode      string     `json:"auth_mode"`
	Owner         string     `json:"owner,omitempty"`
	OwnerStatus   string     `json:"owner_status,omitempty"`
	OwnerRole     string     `json:"owner_role,omitempty"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason,omitempty"`
	LastUsedAt    *time.Time `json:"last_used_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	Flags         []string   `json:"flags"`

	// Maintainer is who looks after the connection.
	Maintainer       string `json:"maintainer,omitempty"`
	MaintainerStatus string `json:"maintainer_status,omitempty"`

	// LastReviewedBy and LastReviewedAt are the newest "mark reviewed";
	// ReviewDue is when the next review is due.
	LastReviewedBy string     `json:"last_reviewed_by,omitempty"`
	LastReviewedAt *time.Time `json:"last_reviewed_at,omitempty"`
	ReviewDue      time.Time  `json:"review_due"`
}

// NewReviewView shows the review report.
func NewReviewView(rows []connection.ReviewRow) []ReviewRowView {
	out := make([]ReviewRowView, len(rows))
	for i, r := range rows {
		c := r.Connection
		out[i] = ReviewRowView{ConnectionID: c.ID, Name: c.Name, Provider: r.Integration.Provider, Integration: r.Integration.Name,
			AuthMode: c.AuthMode, Owner: r.Owner.Email, OwnerStatus: r.Owner.Status, OwnerRole: r.Owner.Role,
			Status: c.Status, Reason: c.Reason, LastUsedAt: optTime(c.LastUsedAt), LastSuccessAt: optTime(c.LastSuccessAt),
			Flags: nonNil(r.Flags), Maintainer: r.Maintainer.Email, MaintainerStatus: r.Maintainer.Status,
			LastReviewedBy: r.LastReview.Reviewer, LastReviewedAt: optTime(r.LastReview.ReviewedAt), ReviewDue: r.ReviewDue}
	}
	return out
}

// DependentView is a connection that depends on a user.
type DependentView struct {
	Connection ConnectionView `json:"connection"`
	Role       string         `json:"role"`
}

// NewDependentViews shows a user's connections.
func NewDependentViews(ds []connection.Dependent) []DependentView {
	out := make([]DependentView, len(ds))
	for i, d := range ds {
		out[i] = DependentView{Connection: NewConnectionView(d.Connection), Role: d.Role}
	}
	return out
}

// AuditView is an audit event.
type AuditView struct {
	Seq        int64             `json:"seq"`
	At         time.Time         `json:"at"`
	Actor      string            `json:"actor"`
	ActorID    int64             `json:"actor_id,omitempty"`
	Action     string            `json:"action"`
	TargetType string            `json:"target_type"`
	TargetID   string            `json:"target_id"`
	Before     map[string]string `json:"before,omitempty"`
	After      map[string]string `json:"after,omitempty"`
}

// NewAuditViews shows audit events.
func NewAuditViews(es []store.AuditEvent) []AuditView {
	out := make([]AuditView, len(es))
	for i, e := range es {
		out[i] = AuditView{Seq: e.Seq, At: e.At, Actor: e.Actor, ActorID: e.ActorID, Action: e.Action,
			TargetType: e.TargetType, TargetID: e.TargetID, Before: e.Before, After: e.After}
	}
	return out
}

// WebhookView is a webhook subscription; Secret is set only in the answer
// that made it.
type WebhookView struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// NewWebhookView shows a webhook.
func NewWebhookView(w store.Webhook, secret string) WebhookView {
	return WebhookView{ID: w.ID, URL: w.URL, Events: nonNil(w.Events), Secret: secret, CreatedAt: w.CreatedAt}
}

// ConnectionReviewView is a recorded review of a connection.
type ConnectionReviewView struct {
	ConnectionID int64     `json:"connection_id"`
	ReviewedBy   string    `json:"reviewed_by"`
	ReviewedAt   time.Time `json:"reviewed_at"`
	Note         string    `json:"note,omitempty"`
}

// NewConnectionReviewView shows a review.
func NewConnectionReviewView(r store.ConnectionReview) ConnectionReviewView {
	return ConnectionReviewView{ConnectionID: r.ConnectionID, ReviewedBy: r.Reviewer, ReviewedAt: r.ReviewedAt, Note: r.Note}
}

// ConcernView is one reason a connection needs attention.
type ConcernView struct {
	Code     string     `json:"code"`
	Sentence string     `json:"sentence"`
	Since    *time.Time `json:"since,omitempty"`
	NextStep string     `json:"next_step,omitempty"`
	Action   string     `json:"action"`
}

// AttentionRowView is a connection that needs a person.
type AttentionRowView struct {
	ConnectionID int64         `json:"connection_id"`
	Name         string        `json:"name"`
	Integration  string        `json:"integration"`
	Provider     string        `json:"provider"`
	Status       string        `json:"status"`
	Owner        string        `json:"owner,omitempty"`
	Concerns     []ConcernView `json:"concerns"`
}

// AttentionView is the needs-attention report.
type AttentionView struct {
	Counts  map[string]int     `json:"counts"`
	Total   int                `json:"total"`
	Results []AttentionRowView `json:"results"`
}

// NewAttentionView shows the needs-attention report.
func NewAttentionView(a connection.Attention) AttentionView {
	out := AttentionView{Counts: a.Counts, Total: a.Total, Results: make([]AttentionRowView, len(a.Rows))}
	if out.Counts == nil {
		out.Counts = map[string]int{}
	}
	for i, r := range a.Rows {
		v := AttentionRowView{ConnectionID: r.Connection.ID, Name: r.Connection.Name, Integration: r.Integration.Name,
			Provider: r.Integration.Provider, Status: r.Connection.Status, Owner: r.Owner.Email}
		for _, c := range r.Concerns {
			v.Concerns = append(v.Concerns, ConcernView{Code: c.Code, Sentence: c.Sentence, Since: optTime(c.Since),
				NextStep: c.Next, Action: c.Action})
		}
		out.Results[i] = v
	}
	return out
}

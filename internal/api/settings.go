package api

import (
	"net/http"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// settingsRoutes are the hub's settings: its policies and its webhooks'
// test events and deliveries.
func (a *Admin) settingsRoutes(handle func(string, gate, func(adminCall) (int, any, error))) {
	handle("GET /api/v1/policies", viewIntegrations, a.listPolicies)
	handle("PATCH /api/v1/policies/{name}", manageIntegrations, a.setPolicy)
	handle("POST /api/v1/webhooks/{id}/test", manageIntegrations, a.testWebhook)
	handle("GET /api/v1/webhooks/{id}/deliveries", manageIntegrations, a.listDeliveries)
}

// PolicyView is a policy and its value.
type PolicyView struct {
	Name        string `json:"name"`
	Value       bool   `json:"value"`
	Default     bool   `json:"default"`
	Description string `json:"description"`
}

// NewPolicyView shows a policy.
func NewPolicyView(p oauth.PolicySetting) PolicyView {
	return PolicyView{Name: p.Name, Value: p.Value, Default: p.Default, Description: p.Description}
}

func (a *Admin) listPolicies(c adminCall) (int, any, error) {
	ps, err := a.Grants.Policies(c.r.Context())
	out := make([]PolicyView, len(ps))
	for i, p := range ps {
		out[i] = NewPolicyView(p)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

// policyJSON is the body that sets a policy.
type policyJSON struct {
	Value *bool `json:"value"`
}

func (a *Admin) setPolicy(c adminCall) (int, any, error) {
	var in policyJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if in.Value == nil {
		return 0, nil, badRequest("INVALID_INPUT", `the body must set "value" to true or false`)
	}
	p, err := a.Grants.ChangePolicy(c.r.Context(), actor(c.user), c.r.PathValue("name"), *in.Value)
	return http.StatusOK, NewPolicyView(p), err
}

// DeliveryView is a webhook delivery and the receiver's answer.
type DeliveryView struct {
	ID           int64      `json:"id"`
	WebhookID    int64      `json:"webhook_id"`
	ConnectionID int64      `json:"connection_id,omitempty"`
	Event        string     `json:"event"`
	State        string     `json:"state"`
	Attempts     int        `json:"attempts"`
	StatusCode   int        `json:"status_code,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	NextAttempt  *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt  *time.Time `json:"delivered_at,omitempty"`
}

// NewDeliveryView shows a delivery. Its payload is left out: the receiver
// has it, and the event's kind and connection say what it was.
func NewDeliveryView(d store.Delivery) DeliveryView {
	v := DeliveryView{ID: d.ID, WebhookID: d.WebhookID, ConnectionID: d.ConnectionID, Event: d.Event, State: d.State,
		Attempts: d.Attempts, StatusCode: d.StatusCode, LastError: d.LastError, CreatedAt: d.CreatedAt}
	if d.State == store.DeliveryPending && !d.NextAttemptAt.IsZero() {
		v.NextAttempt = &d.NextAttemptAt
	}
	if !d.DeliveredAt.IsZero() {
		v.DeliveredAt = &d.DeliveredAt
	}
	return v
}

func (a *Admin) testWebhook(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	d, err := a.Webhooks.SendTest(c.r.Context(), actor(c.user), id)
	return http.StatusAccepted, NewDeliveryView(d), err
}

func (a *Admin) listDeliveries(c adminCall) (int, any, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, nil, err
	}
	limit, err := queryLimit(c, 20, audit.MaxListLimit)
	if err != nil {
		return 0, nil, err
	}
	ds, err := a.Webhooks.Deliveries(c.r.Context(), id, limit)
	out := make([]DeliveryView, len(ds))
	for i, d := range ds {
		out[i] = NewDeliveryView(d)
	}
	return http.StatusOK, map[string]any{"results": out}, err
}

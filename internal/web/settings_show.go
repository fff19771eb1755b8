package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// recentDeliveries is how many deliveries a webhook shows.
const recentDeliveries = 10

// settingsData is the settings page.
type settingsData struct {
	Policies   []oauth.PolicySetting
	Webhooks   []webhookRow
	EventKinds []string
	// PublicURL and CallbackURL are the hub's, "" when not known.
	PublicURL, CallbackURL string
	// Form is the new-webhook form as sent, shown again with Error.
	Form  webhookForm
	Error string
	// Created is the webhook just made, and Secret its signing secret,
	// shown this once.
	Created int64
	Secret  string
}

// webhookRow is a webhook with its recent deliveries.
type webhookRow struct {
	store.Webhook
	Deliveries []store.Delivery
}

// liveFor is how soon a pending delivery's next attempt must be for its
// list to keep refreshing: a retry hours away is not watched every second.
const liveFor = time.Minute

// Live says whether a delivery is about to be sent, so the list keeps
// refreshing until it has an answer.
func (w webhookRow) Live() bool {
	soon := time.Now().Add(liveFor)
	return slices.ContainsFunc(w.Deliveries, func(d store.Delivery) bool {
		return d.State == store.DeliveryPending && d.NextAttemptAt.Before(soon)
	})
}

func (c *Console) settingsShow(v *visit) error {
	return c.showSettings(v, http.StatusOK, settingsData{})
}

// showSettings fills the page's data from the services and shows it.
func (c *Console) showSettings(v *visit, status int, d settingsData) error {
	ctx := v.r.Context()
	var err error
	if d.Policies, err = c.Grants.Policies(ctx); err != nil {
		return err
	}
	if d.Webhooks, err = c.webhookRows(ctx); err != nil {
		return err
	}
	d.EventKinds = audit.EventKinds
	d.PublicURL, d.CallbackURL = c.Connections.PublicURL(), c.Connections.CallbackURL()
	return c.show(v, status, "settings", "Settings", "settings", d)
}

func (c *Console) webhookRows(ctx context.Context) ([]webhookRow, error) {
	hooks, err := c.Webhooks.List(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]webhookRow, len(hooks))
	for i, h := range hooks {
		rows[i].Webhook = h
		if rows[i].Deliveries, err = c.Webhooks.Deliveries(ctx, h.ID, recentDeliveries); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// webhook finds one webhook; store.ErrNotFound when there is none.
func (c *Console) webhook(ctx context.Context, id int64) (store.Webhook, error) {
	hooks, err := c.Webhooks.List(ctx)
	if err != nil {
		return store.Webhook{}, err
	}
	for _, h := range hooks {
		if h.ID == id {
			return h, nil
		}
	}
	return store.Webhook{}, store.ErrNotFound
}

// ShownURL is the webhook's URL without its query, which may hold a token.
func (w webhookRow) ShownURL() string { return audit.ShownURL(w.URL) }

// HasQuery says whether the URL has a query the page leaves out.
func (w webhookRow) HasQuery() bool { return strings.Contains(w.URL, "?") }

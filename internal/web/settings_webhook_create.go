package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hubsync/hubsync/internal/audit"
)

// webhookForm is the new-webhook form.
type webhookForm struct {
	URL    string
	Events []string
}

// Has says whether the form chose event kind e; an empty form chooses all.
func (f webhookForm) Has(e string) bool {
	if len(f.Events) == 0 {
		return true
	}
	for _, x := range f.Events {
		if x == e {
			return true
		}
	}
	return false
}

// settingsWebhookCreate subscribes a URL and shows its signing secret, this
// once: the answer is the page itself, not a redirect, so the secret is in
// no URL and no later page.
func (c *Console) settingsWebhookCreate(v *visit) error {
	if err := v.r.ParseForm(); err != nil {
		return err
	}
	f := webhookForm{URL: strings.TrimSpace(v.r.PostFormValue("url")), Events: v.r.PostForm["events"]}
	hook, secret, err := c.Webhooks.Create(v.r.Context(), v.actor(), f.URL, f.Events)
	if errors.Is(err, audit.ErrInvalid) {
		return c.showSettings(v, http.StatusBadRequest, settingsData{Form: f, Error: asSentence(err)})
	}
	if err != nil {
		return err
	}
	return c.showSettings(v, http.StatusCreated, settingsData{Created: hook.ID, Secret: secret})
}

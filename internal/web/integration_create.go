package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
)

// integrationCreate registers an integration as the API's and the command
// line's create do: the provider's default URLs (or those of the hub at
// the base URL) completed by connection.ProviderSettings.
func (c *Console) integrationCreate(v *visit) error {
	provider := v.r.PostFormValue("provider")
	if !slices.Contains(connection.Providers(), provider) {
		return integrationInvalid("unknown provider %q", provider)
	}
	f := c.newIntegrationForm(provider, nil)
	f.Name, f.Auth = strings.TrimSpace(v.r.PostFormValue("name")), v.r.PostFormValue("auth")
	f.BaseURL = strings.TrimSpace(v.r.PostFormValue("base_url"))
	given, err := c.readSettings(v.r, provider)
	if err == nil {
		in := connection.NewIntegration{Name: f.Name, Provider: provider, AuthKind: f.Auth,
			Settings: connection.ProviderSettings(provider, f.BaseURL, givenSettings(given)), Secret: v.r.PostFormValue("client_secret")}
		created, cerr := c.Connections.CreateIntegration(v.r.Context(), v.actor(), in)
		if cerr == nil {
			return v.redirect("/integrations/" + strconv.FormatInt(created.ID, 10) + "?notice=" +
				url.QueryEscape("Created the integration "+created.Name+"."))
		}
		err = cerr
	}
	if !integrationFormError(err) {
		return err
	}
	keep := c.newIntegrationForm(provider, nil)
	keep.keepPosted(v.r)
	keep.Name, keep.Auth, keep.BaseURL, keep.Error = f.Name, f.Auth, f.BaseURL, asSentence(err)
	return c.show(v, http.StatusBadRequest, "integration_new", "New integration", "integrations",
		integrationNewPage{Providers: connection.Providers(), Form: &keep})
}

// integrationFormError reports whether err is the person's to fix on the form they sent.
func integrationFormError(err error) bool {
	return errors.Is(err, connection.ErrInvalid)
}

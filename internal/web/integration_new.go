package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/hubsync/hubsync/internal/connection"
)

// integrationNewPage is the new-integration page: first the provider, then
// its form.
type integrationNewPage struct {
	Providers []string
	Form      *integrationForm
}

// integrationNew asks for the provider, then shows the form for it.
func (c *Console) integrationNew(v *visit) error {
	p := integrationNewPage{Providers: connection.Providers()}
	if provider := v.r.URL.Query().Get("provider"); provider != "" {
		if !slices.Contains(p.Providers, provider) {
			return integrationInvalid("unknown provider %q", provider)
		}
		f := c.newIntegrationForm(provider, nil)
		p.Form = &f
	}
	return c.show(v, http.StatusOK, "integration_new", "New integration", "integrations", p)
}

// integrationInvalid is a form value the page itself refuses.
func integrationInvalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", connection.ErrInvalid, fmt.Sprintf(format, args...))
}

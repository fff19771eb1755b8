package web

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// integrationForm is the new and edit form of an integration: a field per
// setting the provider documents (setting_<name>), other settings as
// key=value lines, and the client secret, which is written, never shown.
type integrationForm struct {
	ID                   int64
	Name, Provider, Auth string
	BaseURL              string
	Auths                []string
	Fields               []integrationSetting
	Other                string
	HasSecret            bool
	Error                string
}

// integrationSetting is one documented setting and its value in the form.
type integrationSetting struct {
	connector.Setting
	Value string
}

// newIntegrationForm lays out the form for provider, filled from values.
func (c *Console) newIntegrationForm(provider string, values map[string]string) integrationForm {
	f := integrationForm{Provider: provider, Auths: connection.ProviderAuth(provider)}
	documented := map[string]bool{}
	for _, s := range c.Connections.IntegrationSettings(provider) {
		f.Fields = append(f.Fields, integrationSetting{Setting: s, Value: values[s.Name]})
		documented[s.Name] = true
	}
	var other []string
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !documented[k] {
			other = append(other, k+"="+values[k])
		}
	}
	f.Other = strings.Join(other, "\n")
	return f
}

func integrationFormOf(c *Console, in store.Integration) integrationForm {
	f := c.newIntegrationForm(in.Provider, in.Config)
	f.ID, f.Name, f.Auth, f.HasSecret = in.ID, in.Name, in.AuthKind, len(in.Secret) > 0
	return f
}

// keepPosted puts back the settings r posted, as typed, so a form the hub
// refused shows them for correcting rather than the values it had.
func (f *integrationForm) keepPosted(r *http.Request) {
	for i := range f.Fields {
		f.Fields[i].Value = strings.TrimSpace(r.PostFormValue("setting_" + f.Fields[i].Name))
	}
	f.Other = strings.TrimSpace(r.PostFormValue("other"))
}

// readSettings reads the setting fields and the other lines of a posted form
// for provider: every documented field, empty ones included (which an
// update reads as "remove"), and the key=value lines.
func (c *Console) readSettings(r *http.Request, provider string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range c.Connections.IntegrationSettings(provider) {
		out[s.Name] = strings.TrimSpace(r.PostFormValue("setting_" + s.Name))
	}
	for _, line := range strings.Split(r.PostFormValue("other"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, integrationInvalid("other settings are lines of key=value, not %q", line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

func givenSettings(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

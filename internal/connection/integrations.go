package connection

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector/hubspot"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// Auth kinds of an integration.
const (
	AuthOAuth2     = "oauth2"
	AuthPrivateApp = "private_app"
	AuthPassword   = "password"
)

// providerAuth lists the auth kinds each provider offers.
var providerAuth = map[string][]string{
	"hubspot":  {AuthOAuth2, AuthPrivateApp},
	"postgres": {AuthPassword},
}

// Providers lists the providers the hub can connect to.
func Providers() []string { return []string{"hubspot", "postgres"} }

// ProviderAuth lists the auth kinds a provider offers.
func ProviderAuth(provider string) []string { return providerAuth[provider] }

// ProviderSettings completes an integration's settings: for hubspot, the
// OAuth and API URLs of another HubSpot-compatible hub at baseURL, or real
// HubSpot's when no base URL and no URLs are given. Given settings win.
func ProviderSettings(provider, baseURL string, given map[string]string) map[string]string {
	out := map[string]string{}
	if provider == "hubspot" {
		defaults := hubspot.DefaultSettings()
		if baseURL != "" {
			defaults = hubspot.Settings(baseURL)
		}
		maps.Copy(out, defaults)
	}
	maps.Copy(out, given)
	return out
}

// NewIntegration describes an integration to create.
type NewIntegration struct {
	Name     string
	Provider string
	AuthKind string
	Settings map[string]string
	// Secret is the client secret of an OAuth integration.
	Secret string
}

// Authorize refuses actors who may not manage integrations, for changes
// other packages make to a connection (its object syncs, say).
func Authorize(ctx context.Context, tx store.Tx, a audit.Actor) error { return authorize(ctx, tx, a) }

// authorize refuses actors who may not manage integrations. The command
// line runs with the operator's access to the data directory, so it may.
func authorize(ctx context.Context, tx store.Tx, a audit.Actor) error {
	if a.ID == 0 && (a.Label == audit.CLI.Label || a.Label == audit.System.Label) {
		return nil
	}
	u, err := tx.User(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: unknown user", ErrForbidden)
	}
	if err != nil {
		return err
	}
	if u.Status != identity.StatusActive || !identity.CanManageIntegrations(u) {
		return fmt.Errorf("%w: %s may not manage integrations; an admin can grant integrations.manage", ErrForbidden, u.Email)
	}
	return nil
}

// CreateIntegration registers an integration.
func (s *Service) CreateIntegration(ctx context.Context, a audit.Actor, n NewIntegration) (store.Integration, error) {
	if err := s.checkIntegration(n); err != nil {
		return store.Integration{}, err
	}
	now := s.clock()
	in := store.Integration{Name: n.Name, Provider: n.Provider, AuthKind: n.AuthKind,
		Config: n.Settings, CreatedBy: a.ID, CreatedAt: now, UpdatedAt: now}
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		var err error
		if in, err = tx.CreateIntegration(ctx, in); err != nil {
			return err
		}
		if n.Secret != "" {
			if in.Secret, err = s.vault.Seal([]byte(n.Secret), vault.IntegrationAAD(in.ID)); err != nil {
				return err
			}
			if err := tx.UpdateIntegration(ctx, in); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, a, "integration.create", "integration", strconv.FormatInt(in.ID, 10),
			nil, integrationFields(in))
	})
	return in, err
}

func (s *Service) checkIntegration(n NewIntegration) error {
	if strings.TrimSpace(n.Name) == "" {
		return invalid("an integration needs a name")
	}
	kinds, ok := providerAuth[n.Provider]
	if !ok {
		return invalid("unknown provider %q; known: hubspot, postgres", n.Provider)
	}
	if n.AuthKind == "" {
		return invalid("auth kind is required: one of %s", strings.Join(kinds, ", "))
	}
	if !slices.Contains(kinds, n.AuthKind) {
		return invalid("provider %s offers auth %s, not %q", n.Provider, strings.Join(kinds, ", "), n.AuthKind)
	}
	if n.AuthKind == AuthOAuth2 {
		for _, k := range []string{"authorize_url", "token_url", "api_url", "client_id", "scopes"} {
			if n.Settings[k] == "" {
				return invalid("an oauth2 integration needs the setting %s", k)
			}
		}
		if n.Secret == "" {
			return invalid("an oauth2 integration needs its client secret")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(n.Settings)) {
		if secretish(k) {
			return invalid("setting %q looks like a secret; give secrets only as the integration's secret", k)
		}
		if err := checkEndpoint(k, n.Settings[k]); err != nil {
			return err
		}
	}
	return nil
}

// checkEndpoint refuses a URL setting (authorize_url, token_url, api_url,
// …, which --base-url fills) the hub must not call: anything but an
// absolute http or https URL would have it read local files or speak other
// protocols, and credentials in it would be stored and shown in clear.
func checkEndpoint(key, value string) error {
	if !strings.HasSuffix(key, "_url") {
		return nil
	}
	// The value is not quoted back: a mistyped one may hold a password.
	u, err := url.Parse(value)
	switch {
	case err == nil && u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https":
		return invalid("setting %s must be an http or https URL, not a %s: one", key, u.Scheme)
	case err != nil || u.Scheme == "" || u.Host == "":
		return invalid("setting %s must be an absolute http or https URL with a host", key)
	case u.User != nil:
		return invalid("setting %s must not carry credentials; give secrets only as the integration's secret", key)
	}
	return nil
}

func secretish(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "secret") || strings.Contains(k, "password") || strings.Contains(k, "token") && !strings.HasSuffix(k, "_url")
}

// IntegrationChange changes an integration: settings given replace those
// with the same name (an empty value removes one); a non-empty Secret
// replaces the client secret, e.g. after it was rotated on the external app.
type IntegrationChange struct {
	Settings map[string]string
	Secret   string
}

// UpdateIntegration changes an integration's settings or secret. Its
// connections keep their credentials; those the old registration broke
// need a reconnect.
func (s *Service) UpdateIntegration(ctx context.Context, a audit.Actor, ref string, ch IntegrationChange) (store.Integration, error) {
	var in store.Integration
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		old, err := findIntegration(ctx, tx, ref)
		if err != nil {
			return err
		}
		in = old
		in.Config = maps.Clone(old.Config)
		if in.Config == nil {
			in.Config = map[string]string{}
		}
		for k, v := range ch.Settings {
			if v == "" {
				delete(in.Config, k)
			} else {
				in.Config[k] = v
			}
		}
		secret := ch.Secret
		if secret == "" && len(old.Secret) > 0 {
			raw, err := s.vault.Unseal(old.Secret, vault.IntegrationAAD(old.ID))
			if err != nil {
				return err
			}
			secret = string(raw)
		}
		if err := s.checkIntegration(NewIntegration{Name: in.Name, Provider: in.Provider, AuthKind: in.AuthKind, Settings: in.Config, Secret: secret}); err != nil {
			return err
		}
		if ch.Secret != "" {
			if in.Secret, err = s.vault.Seal([]byte(ch.Secret), vault.IntegrationAAD(in.ID)); err != nil {
				return err
			}
		}
		in.UpdatedAt = s.clock()
		if err := tx.UpdateIntegration(ctx, in); err != nil {
			return err
		}
		after := integrationFields(in)
		if ch.Secret != "" {
			after["change"] = "client secret replaced"
		}
		return audit.Record(ctx, tx, in.UpdatedAt, a, "integration.update", "integration", strconv.FormatInt(in.ID, 10),
			integrationFields(old), after)
	})
	return in, err
}

// Integrations lists integrations.
func (s *Service) Integrations(ctx context.Context) ([]store.Integration, error) {
	var out []store.Integration
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Integrations(ctx)
		return err
	})
	return out, err
}

// Integration finds an integration by id or name.
func (s *Service) Integration(ctx context.Context, ref string) (store.Integration, error) {
	var in store.Integration
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		in, err = findIntegration(ctx, tx, ref)
		return err
	})
	return in, err
}

func findIntegration(ctx context.Context, tx store.Tx, ref string) (store.Integration, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return tx.Integration(ctx, id)
	}
	return tx.IntegrationByName(ctx, ref)
}

// UsesIntegration reports whether connection c uses integration id: a
// deleted connection no longer does, so it does not hold the integration.
func UsesIntegration(c store.Connection, id int64) bool {
	return c.IntegrationID == id && c.Status != StatusDisconnected
}

// DeleteIntegration deletes an integration no live connection uses.
func (s *Service) DeleteIntegration(ctx context.Context, a audit.Actor, ref string) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		in, err := findIntegration(ctx, tx, ref)
		if err != nil {
			return err
		}
		conns, err := tx.Connections(ctx)
		if err != nil {
			return err
		}
		for _, c := range conns {
			if UsesIntegration(c, in.ID) {
				return invalid("connection %d (%s) uses integration %s; delete it first", c.ID, c.Name, in.Name)
			}
		}
		if err := tx.DeleteIntegration(ctx, in.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock(), a, "integration.delete", "integration", strconv.FormatInt(in.ID, 10),
			integrationFields(in), nil)
	})
}

// integrationFields is what the audit log keeps of an integration: its
// public identity, never its secret.
func integrationFields(in store.Integration) map[string]string {
	m := map[string]string{"name": in.Name, "provider": in.Provider, "auth": in.AuthKind}
	for _, k := range []string{"api_url", "client_id", "scopes"} {
		if v := in.Config[k]; v != "" {
			m[k] = v
		}
	}
	return m
}

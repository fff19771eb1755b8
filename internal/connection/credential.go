package connection

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// target is what the connector needs to reach c's external app.
func (s *Service) target(in store.Integration, c store.Connection) (connector.Target, error) {
	t := connector.Target{AuthKind: in.AuthKind, Settings: in.Config, Config: c.Config, Objects: c.Objects}
	if len(in.Secret) > 0 {
		secret, err := s.vault.Unseal(in.Secret, vault.IntegrationAAD(in.ID))
		if err != nil {
			return t, fmt.Errorf("open integration %s's secret: %w", in.Name, err)
		}
		t.Secret = string(secret)
	}
	return t, nil
}

// seal seals cred bound to aad, where it is stored.
func (s *Service) seal(cred connector.Credential, aad string) ([]byte, error) {
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	return s.vault.Seal(raw, aad)
}

// open opens a credential sealed bound to aad.
func (s *Service) open(sealed []byte, aad string) (connector.Credential, error) {
	var cred connector.Credential
	raw, err := s.vault.Unseal(sealed, aad)
	if err != nil {
		return cred, err
	}
	return cred, json.Unmarshal(raw, &cred)
}

func (s *Service) unseal(c store.Connection) (connector.Credential, error) {
	if len(c.Credential) == 0 {
		return connector.Credential{}, fmt.Errorf("%w: connection %d holds no credential", ErrHeld, c.ID)
	}
	cred, err := s.open(c.Credential, vault.ConnectionAAD(c.ID))
	if err != nil {
		return cred, fmt.Errorf("open connection %d's credential: %w", c.ID, err)
	}
	return cred, nil
}

// storeCredential seals a fresh cred into c and notes when it expires.
// Connectors stamp expiry on the wall clock; it is moved onto the service's
// clock (the same one, except in tests that move time).
func (s *Service) storeCredential(c *store.Connection, cred connector.Credential) error {
	if !cred.ExpiresAt.IsZero() {
		cred.ExpiresAt = s.clock().Add(time.Until(cred.ExpiresAt)).Truncate(time.Millisecond)
	}
	sealed, err := s.seal(cred, vault.ConnectionAAD(c.ID))
	if err != nil {
		return err
	}
	c.Credential, c.CredentialExpiresAt = sealed, cred.ExpiresAt.UTC()
	return nil
}

// resolved is a connection with what a live call needs.
type resolved struct {
	conn   store.Connection
	in     store.Integration
	impl   connector.Connector
	target connector.Target
}

func (s *Service) resolve(ctx context.Context, tx store.Tx, c store.Connection) (resolved, error) {
	in, err := tx.Integration(ctx, c.IntegrationID)
	if err != nil {
		return resolved{}, fmt.Errorf("integration of connection %d: %w", c.ID, err)
	}
	k, err := s.connectors.Get(in.Provider)
	if err != nil {
		return resolved{}, err
	}
	t, err := s.target(in, c)
	return resolved{conn: c, in: in, impl: k, target: t}, err
}

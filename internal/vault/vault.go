// Package vault seals the hub's outbound secrets (connection credentials,
// integration client secrets, webhook secrets) with a tink AEAD keyset kept
// outside the database, and rotates that keyset online.
package vault

import "errors"

var errTODO = errors.New("vault: not implemented yet")

// Vault seals and opens secrets.
type Vault struct{}

// Open loads the keyset file at path, creating it on first use.
func Open(path string) (*Vault, error) { return &Vault{}, nil }

// Seal encrypts plaintext bound to aad, which names where it is stored.
func (v *Vault) Seal(plaintext []byte, aad string) ([]byte, error) { return nil, errTODO }

// Unseal decrypts what Seal made for the same aad.
func (v *Vault) Unseal(ciphertext []byte, aad string) ([]byte, error) { return nil, errTODO }

// Where a sealed value lives; the ciphertext is bound to it, so a value
// copied to another row does not open.
func IntegrationAAD(id int64) string { return "integration:" + itoa(id) + ":secret" }
func ConnectionAAD(id int64) string  { return "connection:" + itoa(id) + ":credential" }
func AttemptAAD(stateHash []byte) string {
	return "attempt:" + hexs(stateHash) + ":verifier"
}
func WebhookAAD(id int64) string { return "webhook:" + itoa(id) + ":secret" }

package vault

import (
	"encoding/hex"
	"strconv"
)

// Where a sealed value lives; the ciphertext is bound to it, so a value
// copied to another row does not open.

// IntegrationAAD binds an integration's client secret to its row.
func IntegrationAAD(id int64) string { return "integration:" + itoa(id) + ":secret" }

// ConnectionAAD binds a connection's credential to its row.
func ConnectionAAD(id int64) string { return "connection:" + itoa(id) + ":credential" }

// RevokeAAD binds a replaced credential waiting to be revoked to its row.
func RevokeAAD(id int64) string { return "revoke:" + itoa(id) + ":credential" }

// AttemptAAD binds a connect attempt's PKCE verifier to its state hash.
func AttemptAAD(stateHash []byte) string {
	return "attempt:" + hexs(stateHash) + ":verifier"
}

// WebhookAAD binds a webhook's signing secret to its row.
func WebhookAAD(id int64) string { return "webhook:" + itoa(id) + ":secret" }

func itoa(n int64) string  { return strconv.FormatInt(n, 10) }
func hexs(b []byte) string { return hex.EncodeToString(b) }

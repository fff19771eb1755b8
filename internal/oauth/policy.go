package oauth

import (
	"context"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// PolicySetting is a policy as people read it: its value, its default and
// what it does.
type PolicySetting struct {
	Name        string
	Value       bool
	Default     bool
	Description string
}

// policyDescriptions say what each policy does, for every surface that
// shows one.
var policyDescriptions = map[string]string{
	PolicyRevokeOnCredentialsChange: "When a user's password or SSO changes, end the app authorizations they approved " +
		"and hold their user-mode connections until someone reconnects them. Off: the authorizations carry over to the new credentials.",
}

// Policies lists every policy with its value.
func Policies(ctx context.Context, st store.Store) ([]PolicySetting, error) {
	v, err := Policy(ctx, st, PolicyRevokeOnCredentialsChange)
	if err != nil {
		return nil, err
	}
	return []PolicySetting{{Name: PolicyRevokeOnCredentialsChange, Value: v, Default: true,
		Description: policyDescriptions[PolicyRevokeOnCredentialsChange]}}, nil
}

// ChangePolicy sets a boolean policy and records who changed it from what.
func ChangePolicy(ctx context.Context, st store.Store, a audit.Actor, name string, value bool) (PolicySetting, error) {
	if err := knownPolicy(name); err != nil {
		return PolicySetting{}, err
	}
	err := st.Update(ctx, func(tx store.Tx) error {
		was, err := RevokeOnCredentialsChange(ctx, tx)
		if err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, "policy."+name, strconv.FormatBool(value)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, time.Now(), a, "policy.set", "policy", name,
			map[string]string{"value": strconv.FormatBool(was)}, map[string]string{"value": strconv.FormatBool(value)})
	})
	return PolicySetting{Name: name, Value: value, Default: true, Description: policyDescriptions[name]}, err
}

// Policies lists every policy with its value; the grants it governs are
// this manager's.
func (g *Grants) Policies(ctx context.Context) ([]PolicySetting, error) {
	return Policies(ctx, g.store)
}

// ChangePolicy sets a policy, as ChangePolicy does.
func (g *Grants) ChangePolicy(ctx context.Context, a audit.Actor, name string, value bool) (PolicySetting, error) {
	return ChangePolicy(ctx, g.store, a, name, value)
}

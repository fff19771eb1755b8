package vault

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hubsync/hubsync/internal/store"
)

// Stats counts what Reseal did.
type Stats struct {
	Integrations int `json:"integrations"`
	Connections  int `json:"connections"`
	Attempts     int `json:"connect_attempts"`
	Webhooks     int `json:"webhooks"`
	Revokes      int `json:"pending_revokes"`
	// Skipped counts values already under the primary key and rows deleted
	// before their turn came.
	Skipped int `json:"skipped"`
}

// Resealed is how many values Reseal sealed anew.
func (s Stats) Resealed() int {
	return s.Integrations + s.Connections + s.Attempts + s.Webhooks + s.Revokes
}

// sealed is one stored sealed value: where it lives and what was there when
// the store was listed.
type sealed struct {
	kind    string // "integration", "connection", "connect attempt", "webhook", "pending revoke"
	id      int64
	attempt store.ConnectAttempt // the whole row, for attempts
	blob    []byte
}

func (s sealed) String() string {
	if s.kind == "connect attempt" {
		return fmt.Sprintf("%s %s", s.kind, hex.EncodeToString(s.attempt.StateHash[:min(8, len(s.attempt.StateHash))]))
	}
	return fmt.Sprintf("%s %d", s.kind, s.id)
}

// Reseal seals every stored secret anew under v's primary key, so that the
// keys before it can be retired. It runs online: each value is re-read,
// opened, sealed and written back in its own small transaction, so writers
// working at the same time wait for one row at most, and a value they
// changed meanwhile is resealed as they left it. progress, when not nil, is
// told how far it got after every value.
//
// A value that cannot be opened stops Reseal with an error naming its row;
// the values done by then stay done, and running Reseal again continues.
func Reseal(ctx context.Context, st store.Store, v *Vault, progress func(done, total int)) (Stats, error) {
	var stats Stats
	// Pick up a rotation made by another process before comparing with
	// the primary.
	if _, err := v.fresh(); err != nil {
		return stats, err
	}
	items, err := list(ctx, st)
	if err != nil {
		return stats, err
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	progress(0, len(items))
	for n, it := range items {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		if id, err := KeyID(it.blob); err == nil && id == v.Primary() {
			stats.Skipped++
			progress(n+1, len(items))
			continue
		}
		var done bool
		err := st.Update(ctx, func(tx store.Tx) error {
			var err error
			done, err = resealOne(ctx, tx, v, it)
			return err
		})
		switch {
		case errors.Is(err, store.ErrNotFound):
			stats.Skipped++
		case err != nil:
			return stats, fmt.Errorf("reseal %s: %w", it, err)
		case !done:
			stats.Skipped++
		default:
			switch it.kind {
			case "integration":
				stats.Integrations++
			case "connection":
				stats.Connections++
			case "connect attempt":
				stats.Attempts++
			case "webhook":
				stats.Webhooks++
			case "pending revoke":
				stats.Revokes++
			}
		}
		progress(n+1, len(items))
	}
	return stats, nil
}

// resealOne re-reads one row inside tx (locking it), and writes its value
// back sealed under the primary key. It reports false when there was
// nothing to do: the value is gone, empty or already under the primary.
func resealOne(ctx context.Context, tx store.Tx, v *Vault, it sealed) (bool, error) {
	switch it.kind {
	case "integration":
		i, err := tx.Integration(ctx, it.id)
		if err != nil {
			return false, err
		}
		ok, err := reseal(v, &i.Secret, IntegrationAAD(i.ID))
		if !ok || err != nil {
			return false, err
		}
		return true, tx.UpdateIntegration(ctx, i)
	case "connection":
		c, err := tx.Connection(ctx, it.id)
		if err != nil {
			return false, err
		}
		ok, err := reseal(v, &c.Credential, ConnectionAAD(c.ID))
		if !ok || err != nil {
			return false, err
		}
		return true, tx.UpdateConnection(ctx, c)
	case "connect attempt":
		// An attempt is written once and taken once, so the listed row is
		// still the stored one unless it was taken, which the update reports
		// as not found.
		a := it.attempt
		ok, err := reseal(v, &a.Verifier, AttemptAAD(a.StateHash))
		if !ok || err != nil {
			return false, err
		}
		return true, tx.UpdateConnectAttempt(ctx, a)
	case "webhook":
		w, err := tx.Webhook(ctx, it.id)
		if err != nil {
			return false, err
		}
		ok, err := reseal(v, &w.Secret, WebhookAAD(w.ID))
		if !ok || err != nil {
			return false, err
		}
		return true, tx.UpdateWebhook(ctx, w)
	case "pending revoke":
		r, err := tx.PendingRevoke(ctx, it.id)
		if err != nil {
			return false, err
		}
		ok, err := reseal(v, &r.Credential, RevokeAAD(r.ID))
		if !ok || err != nil {
			return false, err
		}
		return true, tx.UpdatePendingRevoke(ctx, r)
	}
	return false, fmt.Errorf("unknown kind %q", it.kind)
}

// reseal replaces *blob with the same plaintext sealed under the primary
// key, reporting false when it is empty or already there.
func reseal(v *Vault, blob *[]byte, aad string) (bool, error) {
	if len(*blob) == 0 {
		return false, nil
	}
	if id, err := KeyID(*blob); err == nil && id == v.Primary() {
		return false, nil
	}
	pt, err := v.Unseal(*blob, aad)
	if err != nil {
		return false, err
	}
	defer clear(pt)
	ct, err := v.Seal(pt, aad)
	if err != nil {
		return false, err
	}
	*blob = ct
	return true, nil
}

// InUse counts the stored sealed values under each key id, so a key still
// in use is not retired. Values that carry no key id count under 0.
func InUse(ctx context.Context, st store.Store, v *Vault) (map[uint32]int, error) {
	items, err := list(ctx, st)
	if err != nil {
		return nil, err
	}
	n := map[uint32]int{}
	for _, it := range items {
		id, _ := v.KeyID(it.blob)
		n[id]++
	}
	return n, nil
}

// list reads every non-empty sealed value in the store.
func list(ctx context.Context, st store.Store) ([]sealed, error) {
	var items []sealed
	err := st.View(ctx, func(tx store.Tx) error {
		items = items[:0]
		is, err := tx.Integrations(ctx)
		if err != nil {
			return fmt.Errorf("list integrations: %w", err)
		}
		for _, i := range is {
			if len(i.Secret) > 0 {
				items = append(items, sealed{kind: "integration", id: i.ID, blob: i.Secret})
			}
		}
		cs, err := tx.Connections(ctx)
		if err != nil {
			return fmt.Errorf("list connections: %w", err)
		}
		for _, c := range cs {
			if len(c.Credential) > 0 {
				items = append(items, sealed{kind: "connection", id: c.ID, blob: c.Credential})
			}
		}
		as, err := tx.ConnectAttempts(ctx)
		if err != nil {
			return fmt.Errorf("list connect attempts: %w", err)
		}
		for _, a := range as {
			if len(a.Verifier) > 0 {
				items = append(items, sealed{kind: "connect attempt", attempt: a, blob: a.Verifier})
			}
		}
		ws, err := tx.Webhooks(ctx)
		if err != nil {
			return fmt.Errorf("list webhooks: %w", err)
		}
		for _, w := range ws {
			if len(w.Secret) > 0 {
				items = append(items, sealed{kind: "webhook", id: w.ID, blob: w.Secret})
			}
		}
		rs, err := tx.PendingRevokes(ctx, 0)
		if err != nil {
			return fmt.Errorf("list pending revokes: %w", err)
		}
		for _, r := range rs {
			if len(r.Credential) > 0 {
				items = append(items, sealed{kind: "pending revoke", id: r.ID, blob: r.Credential})
			}
		}
		return nil
	})
	return items, err
}

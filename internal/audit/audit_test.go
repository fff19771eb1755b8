package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// TestRecordAndList: events come back newest first with everything they were
// recorded with, filtered by target type and id, and paged by sequence.
func TestRecordAndList(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := hubtest.OpenStore(t, backend)
			at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
			ann := audit.Actor{ID: 4, Label: "ann@example.com"}
			rows := []struct {
				actor                      audit.Actor
				action, targetType, target string
				before, after              map[string]string
			}{
				{ann, "connection.create", "connection", "1", nil, map[string]string{"name": "HubSpot EU", "auth_mode": "user"}},
				{audit.CLI, "connection.transfer", "connection", "1", map[string]string{"owner": "4"}, map[string]string{"owner": "9"}},
				{audit.System, "connection.pause", "connection", "2", map[string]string{"status": "active"}, map[string]string{"status": "paused"}},
				{ann, "webhook.create", "webhook", "1", nil, map[string]string{"url": "https://example.com/hook"}},
			}
			err := st.Update(ctx, func(tx store.Tx) error {
				for i, r := range rows {
					if err := audit.Record(ctx, tx, at.Add(time.Duration(i)*time.Minute), r.actor, r.action, r.targetType, r.target, r.before, r.after); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("Record: %v", err)
			}
			log := audit.NewLog(st)

			all, err := log.List(ctx, store.AuditQuery{})
			if err != nil || len(all) != len(rows) {
				t.Fatalf("List() = %d events, %v; want %d", len(all), err, len(rows))
			}
			for i, e := range all {
				r := rows[len(rows)-1-i]
				want := store.AuditEvent{Seq: e.Seq, At: at.Add(time.Duration(len(rows)-1-i) * time.Minute),
					ActorID: r.actor.ID, Actor: r.actor.Label, Action: r.action, TargetType: r.targetType,
					TargetID: r.target, Before: r.before, After: r.after}
				if diff := cmp.Diff(want, e, cmp.Comparer(sameMap)); diff != "" {
					t.Errorf("event %d (-want +got):\n%s", i, diff)
				}
				if i > 0 && e.Seq >= all[i-1].Seq {
					t.Errorf("events not newest first: seq %d after %d", e.Seq, all[i-1].Seq)
				}
			}

			actions := func(q store.AuditQuery) []string {
				t.Helper()
				evs, err := log.List(ctx, q)
				if err != nil {
					t.Fatalf("List(%+v): %v", q, err)
				}
				var out []string
				for _, e := range evs {
					out = append(out, e.Action)
				}
				return out
			}
			for _, c := range []struct {
				name string
				q    store.AuditQuery
				want []string
			}{
				{"by type", store.AuditQuery{TargetType: "connection"}, []string{"connection.pause", "connection.transfer", "connection.create"}},
				{"by target", store.AuditQuery{TargetType: "connection", TargetID: "1"}, []string{"connection.transfer", "connection.create"}},
				{"limit", store.AuditQuery{Limit: 2}, []string{"webhook.create", "connection.pause"}},
				{"next page", store.AuditQuery{BeforeSeq: all[1].Seq, Limit: 2}, []string{"connection.transfer", "connection.create"}},
				{"no match", store.AuditQuery{TargetType: "app"}, nil},
			} {
				if got := actions(c.q); !cmp.Equal(got, c.want) {
					t.Errorf("%s: actions = %v, want %v", c.name, got, c.want)
				}
			}
		})
	}
}

// sameMap treats nil and empty as equal: the store need not tell them apart.
func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRecordRefusesSecrets: data that looks like a secret is refused, and
// the refusal writes nothing, so a mistake in a caller cannot leak one.
func TestRecordRefusesSecrets(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := hubtest.OpenStore(t, backend)
			refused := []struct {
				name          string
				before, after map[string]string
			}{
				{"client secret", nil, map[string]string{"client_secret": "x"}},
				{"token in before", map[string]string{"AccessToken": "x"}, nil},
				{"password", nil, map[string]string{"new_password": "x"}},
				{"credential", nil, map[string]string{"credential": "x"}},
				{"api key", nil, map[string]string{"apiKey": "x"}},
				{"webhook secret as a value", nil, map[string]string{"note": "whsec_0123"}},
				{"private app token as a value", nil, map[string]string{"note": "pat-hs1-abc"}},
			}
			for _, c := range refused {
				err := st.Update(ctx, func(tx store.Tx) error {
					return audit.Record(ctx, tx, time.Now(), audit.CLI, "app.update", "app", "1", c.before, c.after)
				})
				if !errors.Is(err, audit.ErrSecretField) {
					t.Errorf("%s: Record = %v, want ErrSecretField", c.name, err)
				}
			}
			invalid := []struct {
				name   string
				actor  audit.Actor
				action string
			}{
				{"no actor", audit.Actor{ID: 3}, "app.update"},
				{"no action", audit.CLI, ""},
			}
			for _, c := range invalid {
				err := st.Update(ctx, func(tx store.Tx) error {
					return audit.Record(ctx, tx, time.Now(), c.actor, c.action, "app", "1", nil, nil)
				})
				if !errors.Is(err, audit.ErrInvalid) {
					t.Errorf("%s: Record = %v, want ErrInvalid", c.name, err)
				}
			}
			if evs, err := audit.NewLog(st).List(ctx, store.AuditQuery{}); err != nil || len(evs) != 0 {
				t.Errorf("after refusals the log holds %d events (%v), want none", len(evs), err)
			}
			err := st.Update(ctx, func(tx store.Tx) error {
				return audit.Record(ctx, tx, time.Now(), audit.CLI, "connection.update", "connection", "1", nil,
					map[string]string{"auth_mode": "app", "status": "active", "url": "https://example.com"})
			})
			if err != nil {
				t.Errorf("Record of harmless fields: %v", err)
			}
		})
	}
}

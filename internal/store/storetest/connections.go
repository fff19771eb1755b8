package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hubsync/hubsync/internal/store"
)

// sealed is a vault ciphertext: arbitrary bytes, zeros included.
func sealed(s string) []byte { return append([]byte{0, 1, 0}, hash(s)...) }

func storedIntegration(i store.Integration) store.Integration {
	i.CreatedAt, i.UpdatedAt = stored(i.CreatedAt), stored(i.UpdatedAt)
	return i
}

func testIntegrations(t *testing.T, s store.Store) {
	in := []store.Integration{
		{
			Name: "HubSpot (EU)", Provider: "hubspot", AuthKind: "oauth2",
			Config: map[string]string{"client_id": "abc", "auth_url": "https://app-eu1.hubspot.com/oauth/authorize?a=1&b=\"2\"",
				"scopes": "crm.objects.contacts.read oauth", "label": "ü 日本"},
			Secret:    sealed("client secret"),
			CreatedBy: 7, CreatedAt: when(0), UpdatedAt: when(time.Hour),
		},
		{Name: "warehouse", Provider: "postgres", AuthKind: "password", CreatedAt: when(time.Minute), UpdatedAt: when(time.Minute)},
	}
	var want []store.Integration
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, i := range in {
			got, err := tx.CreateIntegration(ctx, i)
			if err != nil {
				return err
			}
			i.ID = got.ID
			if diff := cmp.Diff(storedIntegration(i), got, opts); diff != "" {
				t.Errorf("CreateIntegration does not return the stored value (-stored +returned):\n%s", diff)
			}
			want = append(want, storedIntegration(i))
		}
		return nil
	})
	if want[0].ID <= 0 || want[1].ID <= want[0].ID {
		t.Fatalf("integration ids %d, %d: want positive and increasing", want[0].ID, want[1].ID)
	}
	for _, w := range want {
		wantRead(t, s, "Integration", w, func(ctx context.Context, tx store.Tx) (store.Integration, error) {
			return tx.Integration(ctx, w.ID)
		})
		wantRead(t, s, "IntegrationByName", w, func(ctx context.Context, tx store.Tx) (store.Integration, error) {
			return tx.IntegrationByName(ctx, w.Name)
		})
	}
	wantRead(t, s, "Integrations", want, func(ctx context.Context, tx store.Tx) ([]store.Integration, error) {
		return tx.Integrations(ctx)
	})
	// An integration without a secret has none at all, not an empty one.
	wantRead(t, s, "Secret == nil", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		i, err := tx.Integration(ctx, want[1].ID)
		return i.Secret == nil, err
	})
	wantReadErr(t, s, "Integration(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Integration(ctx, want[1].ID+1)
		return err
	})
	wantReadErr(t, s, "IntegrationByName(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.IntegrationByName(ctx, "Warehouse")
		return err
	})

	// Names are unique, on create and on rename.
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.CreateIntegration(ctx, store.Integration{Name: in[1].Name, Provider: "hubspot", AuthKind: "private_app",
			CreatedAt: when(0), UpdatedAt: when(0)})
		return err
	})
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		i := want[1]
		i.Name = want[0].Name
		return tx.UpdateIntegration(ctx, i)
	})

	changed := want[0]
	changed.Name, changed.Provider, changed.AuthKind = "HubSpot", "hubspot-legacy", "private_app"
	changed.Config = map[string]string{"portal": "42"}
	changed.Secret = nil
	changed.UpdatedAt = when(48 * time.Hour)
	changed = storedIntegration(changed)
	keyed := want[1]
	keyed.Secret, keyed.Config = sealed("password"), map[string]string{"host": "db.internal"}
	keyed.UpdatedAt = when(49 * time.Hour)
	keyed = storedIntegration(keyed)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateIntegration(ctx, changed); err != nil {
			return err
		}
		return tx.UpdateIntegration(ctx, keyed)
	})
	wantRead(t, s, "Integrations after UpdateIntegration", []store.Integration{changed, keyed},
		func(ctx context.Context, tx store.Tx) ([]store.Integration, error) { return tx.Integrations(ctx) })
	wantRead(t, s, "IntegrationByName(new name)", changed, func(ctx context.Context, tx store.Tx) (store.Integration, error) {
		return tx.IntegrationByName(ctx, changed.Name)
	})
	wantReadErr(t, s, "IntegrationByName(old name)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.IntegrationByName(ctx, want[0].Name)
		return err
	})

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteIntegration(ctx, changed.ID) })
	wantReadErr(t, s, "Integration after DeleteIntegration", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Integration(ctx, changed.ID)
		return err
	})
	wantRead(t, s, "Integrations after DeleteIntegration", []store.Integration{keyed},
		func(ctx context.Context, tx store.Tx) ([]store.Integration, error) { return tx.Integrations(ctx) })
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeleteIntegration(ctx, changed.ID) })
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.UpdateIntegration(ctx, changed) })
	// The deleted integration's name is free again.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.CreateIntegration(ctx, in[0])
		return err
	})
}

func storedConnection(c store.Connection) store.Connection {
	for _, p := range []*time.Time{&c.CredentialExpiresAt, &c.RefreshLeaseUntil, &c.ReasonSince, &c.StatusChangedAt,
		&c.RecoveredAt, &c.CreatedAt, &c.UpdatedAt, &c.LastUsedAt, &c.LastSuccessAt, &c.LastErrorAt, &c.LastRunAt,
		&c.LastCheckAt, &c.NextCheckAt} {
		*p = stored(*p)
	}
	return c
}

// fullConnection sets every field, each time to a different value, so a
// column read into the wrong field shows up.
func fullConnection() store.Connection {
	return store.Connection{
		IntegrationID: 3, Name: "Sales HubSpot", AuthMode: "user",
		OwnerID: 11, MaintainerID: 12, Note: "Run by RevOps; \"ask\" Ana. ü",
		Objects:             []string{"contacts", "companies", "deals"},
		Scopes:              []string{"crm.objects.contacts.write", "crm.objects.contacts.read", "oauth"},
		External:            map[string]string{"portal_id": "123", "user": "ana@example.com"},
		Config:              map[string]string{"table": "public.\"Contacts\""},
		Credential:          sealed("tokens"),
		CredentialExpiresAt: when(30 * time.Minute),
		RefreshLeaseUntil:   when(31 * time.Minute),
		RefreshLeaseOwner:   "replica-2",
		Status:              "needs_reconnect",
		Reason:              "external_token_expired",
		ReasonMessage:       "HubSpot refused the refresh token.",
		ReasonDetail:        "contacts deals",
		ReasonSince:         when(32 * time.Minute),
		NextStep:            "Reconnect.",
		StatusChangedAt:     when(33 * time.Minute),
		RecoveredAt:         when(34 * time.Minute),
		TransientFailures:   4,
		CreatedBy:           13,
		CreatedAt:           when(0),
		UpdatedAt:           when(35 * time.Minute),
		LastUsedAt:          when(36 * time.Minute),
		LastSuccessAt:       when(37 * time.Minute),
		LastErrorAt:         when(38 * time.Minute),
		LastError:           "invalid_grant",
		LastRunAt:           when(39 * time.Minute),
		LastCheckAt:         when(40 * time.Minute),
		NextCheckAt:         when(41 * time.Minute),
	}
}

func testConnections(t *testing.T, s store.Store) {
	in := []store.Connection{
		fullConnection(),
		// Only what a new connection must have: zero times stay zero.
		{IntegrationID: 4, Name: "Warehouse", AuthMode: "app", Status: "active", CreatedAt: when(time.Hour), UpdatedAt: when(time.Hour)},
	}
	var want []store.Connection
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range in {
			got, err := tx.CreateConnection(ctx, c)
			if err != nil {
				return err
			}
			c.ID = got.ID
			if diff := cmp.Diff(storedConnection(c), got, opts); diff != "" {
				t.Errorf("CreateConnection does not return the stored value (-stored +returned):\n%s", diff)
			}
			want = append(want, storedConnection(c))
		}
		return nil
	})
	if want[0].ID <= 0 || want[1].ID <= want[0].ID {
		t.Fatalf("connection ids %d, %d: want positive and increasing", want[0].ID, want[1].ID)
	}
	for _, w := range want {
		wantRead(t, s, "Connection", w, func(ctx context.Context, tx store.Tx) (store.Connection, error) {
			return tx.Connection(ctx, w.ID)
		})
	}
	wantRead(t, s, "Connections", want, func(ctx context.Context, tx store.Tx) ([]store.Connection, error) {
		return tx.Connections(ctx)
	})
	wantRead(t, s, "Credential == nil and times zero", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		c, err := tx.Connection(ctx, want[1].ID)
		return c.Credential == nil && c.LastUsedAt.IsZero() && c.CredentialExpiresAt.IsZero(), err
	})
	wantReadErr(t, s, "Connection(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Connection(ctx, want[1].ID+1)
		return err
	})

	// Every field but who created it and when changes; the minimal one
	// takes the full one's values and the other way round.
	full, minimal := want[0], want[1]
	swapped := []store.Connection{minimal, full}
	swapped[0].ID, swapped[0].CreatedBy, swapped[0].CreatedAt = full.ID, full.CreatedBy, full.CreatedAt
	swapped[1].ID, swapped[1].CreatedBy, swapped[1].CreatedAt = minimal.ID, minimal.CreatedBy, minimal.CreatedAt
	swapped[1].Name, swapped[1].UpdatedAt = "Renamed", stored(when(72*time.Hour))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range swapped {
			if err := tx.UpdateConnection(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	wantRead(t, s, "Connections after UpdateConnection", swapped, func(ctx context.Context, tx store.Tx) ([]store.Connection, error) {
		return tx.Connections(ctx)
	})
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		c := full
		c.ID = minimal.ID + 1
		return tx.UpdateConnection(ctx, c)
	})
}

// testConnectionReadModifyWrite checks that Connection locks the row inside
// Update: concurrent increments must not be lost.
func testConnectionReadModifyWrite(t *testing.T, s store.Store) {
	c := put(t, s, func(ctx context.Context, tx store.Tx) (store.Connection, error) {
		c := fullConnection()
		c.TransientFailures = 0
		return tx.CreateConnection(ctx, c)
	})
	const workers, rounds = 4, 10
	updateConcurrently(t, s, workers, rounds, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.Connection(ctx, c.ID)
		if err != nil {
			return err
		}
		time.Sleep(time.Millisecond) // widen the window for a lost update
		cur.TransientFailures++
		return tx.UpdateConnection(ctx, cur)
	})
	got := get(t, s, func(ctx context.Context, tx store.Tx) (store.Connection, error) { return tx.Connection(ctx, c.ID) })
	if got.TransientFailures != workers*rounds {
		t.Errorf("transient failures = %d after %d increments", got.TransientFailures, workers*rounds)
	}
}

// testConnectionGeneration checks that only BumpConnectionGeneration moves
// the generation: a stale copy written back leaves it where it is.
func testConnectionGeneration(t *testing.T, s store.Store) {
	c := put(t, s, func(ctx context.Context, tx store.Tx) (store.Connection, error) {
		return tx.CreateConnection(ctx, fullConnection())
	})
	if c.Generation != 0 {
		t.Fatalf("a new connection has generation %d", c.Generation)
	}
	for want := int64(1); want <= 2; want++ {
		got := put(t, s, func(ctx context.Context, tx store.Tx) (int64, error) { return tx.BumpConnectionGeneration(ctx, c.ID) })
		if got != want {
			t.Fatalf("bump %d returned %d", want, got)
		}
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateConnection(ctx, c) }) // c is stale
	read := get(t, s, func(ctx context.Context, tx store.Tx) (store.Connection, error) { return tx.Connection(ctx, c.ID) })
	gen := get(t, s, func(ctx context.Context, tx store.Tx) (int64, error) { return tx.ConnectionGeneration(ctx, c.ID) })
	if read.Generation != 2 || gen != 2 {
		t.Fatalf("after two bumps and a stale write: Connection says %d, ConnectionGeneration %d, want 2", read.Generation, gen)
	}
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ConnectionGeneration(ctx, c.ID+100)
		return err
	})
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.BumpConnectionGeneration(ctx, c.ID+100)
		return err
	})
}

// testConnectionGenerationHeld checks that a write transaction that read
// the generation keeps a bump from committing until it commits: a sync
// run's writes cannot interleave with a break of its connection.
func testConnectionGenerationHeld(t *testing.T, s store.Store) {
	c := put(t, s, func(ctx context.Context, tx store.Tx) (store.Connection, error) {
		return tx.CreateConnection(ctx, fullConnection())
	})
	var bumped atomic.Bool
	done := make(chan error, 1)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ConnectionGeneration(ctx, c.ID); err != nil {
			return err
		}
		go func() {
			done <- s.Update(ctx, func(tx store.Tx) error {
				_, err := tx.BumpConnectionGeneration(ctx, c.ID)
				return err
			})
			bumped.Store(true)
		}()
		time.Sleep(50 * time.Millisecond) // room for an unheld bump to commit
		if bumped.Load() {
			return errors.New("a bump committed while a write transaction held the generation")
		}
		_, err := tx.InsertRecords(ctx, []store.Record{contact(map[string]string{"email": "held@example.com"})})
		return err
	})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if gen := get(t, s, func(ctx context.Context, tx store.Tx) (int64, error) { return tx.ConnectionGeneration(ctx, c.ID) }); gen != 1 {
		t.Fatalf("generation %d after the held bump, want 1", gen)
	}
}

func storedAttempt(a store.ConnectAttempt) store.ConnectAttempt {
	a.CreatedAt, a.ExpiresAt = stored(a.CreatedAt), stored(a.ExpiresAt)
	return a
}

func testConnectAttempts(t *testing.T, s store.Store) {
	in := []store.ConnectAttempt{
		{
			StateHash: hash("state-1"), IntegrationID: 3, ActorID: 7,
			Spec:     map[string]string{"name": "Sales \"EU\"", "objects": "contacts companies", "auth_mode": "user"},
			Verifier: sealed("verifier"), CreatedAt: when(0), ExpiresAt: when(10 * time.Minute),
		},
		{StateHash: hash("state-2"), IntegrationID: 3, ConnectionID: 5, ActorID: 8, CreatedAt: when(time.Minute), ExpiresAt: when(11 * time.Minute)},
		{StateHash: hash("state-3"), IntegrationID: 4, ActorID: 7, CreatedAt: when(2 * time.Minute), ExpiresAt: when(20 * time.Minute)},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, a := range in {
			if err := tx.CreateConnectAttempt(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	// The contract gives the list no order.
	anyOrder := cmpopts.SortSlices(func(a, b store.ConnectAttempt) bool { return bytes.Compare(a.StateHash, b.StateHash) < 0 })
	attempts := func(ctx context.Context, tx store.Tx) ([]store.ConnectAttempt, error) { return tx.ConnectAttempts(ctx) }
	want := []store.ConnectAttempt{storedAttempt(in[0]), storedAttempt(in[1]), storedAttempt(in[2])}
	wantRead(t, s, "ConnectAttempts", want, attempts, anyOrder)
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		a := in[2]
		a.IntegrationID, a.ActorID = 9, 9
		return tx.CreateConnectAttempt(ctx, a)
	})

	// Every field but the state changes.
	changed := in[1]
	changed.IntegrationID, changed.ConnectionID, changed.ActorID = 6, 0, 9
	changed.Spec, changed.Verifier = map[string]string{"name": "again"}, sealed("other verifier")
	// The new end is within the millisecond of the bound deleted before below.
	changed.CreatedAt, changed.ExpiresAt = when(3*time.Minute), when(11*time.Minute+100*time.Microsecond)
	changed = storedAttempt(changed)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateConnectAttempt(ctx, changed) })
	want[1] = changed
	wantRead(t, s, "ConnectAttempts after UpdateConnectAttempt", want, attempts, anyOrder)
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		a := changed
		a.StateHash = hash("state-none")
		return tx.UpdateConnectAttempt(ctx, a)
	})

	// Strictly before: the attempt that expires at the bound stays.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteConnectAttemptsBefore(ctx, when(11*time.Minute))
	})
	wantRead(t, s, "ConnectAttempts after DeleteConnectAttemptsBefore", want[1:], attempts, anyOrder)

	took := put(t, s, func(ctx context.Context, tx store.Tx) (store.ConnectAttempt, error) {
		return tx.TakeConnectAttempt(ctx, changed.StateHash)
	})
	if diff := cmp.Diff(changed, took, opts); diff != "" {
		t.Errorf("TakeConnectAttempt (-want +got):\n%s", diff)
	}
	wantRead(t, s, "ConnectAttempts after TakeConnectAttempt", want[2:], attempts, anyOrder)
	for _, state := range []string{"state-1", "state-2", "state-none"} {
		wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.TakeConnectAttempt(ctx, hash(state))
			return err
		})
	}
	wantRead(t, s, "taken attempt's Verifier, none given, == nil", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		as, err := tx.ConnectAttempts(ctx)
		return len(as) == 1 && as[0].Verifier == nil, err
	})
}

// testTakeConnectAttemptRace is the guard against an OAuth state used twice:
// of callbacks racing with the same state, exactly one gets the attempt.
func testTakeConnectAttemptRace(t *testing.T, s store.Store) {
	const workers, rounds = 8, 5
	for round := range rounds {
		state := hash(fmt.Sprintf("state-%d", round))
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateConnectAttempt(ctx, store.ConnectAttempt{StateHash: state, IntegrationID: 1,
				CreatedAt: when(0), ExpiresAt: when(time.Hour)})
		})
		wantOneWins(t, s, workers, fmt.Sprintf("round %d: TakeConnectAttempt", round), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.TakeConnectAttempt(ctx, state)
			return err
		})
	}
}

func testAuditEvents(t *testing.T, s store.Store) {
	audit := func(q store.AuditQuery) func(ctx context.Context, tx store.Tx) ([]store.AuditEvent, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.AuditEvent, error) { return tx.AuditEvents(ctx, q) }
	}
	wantRead(t, s, "AuditEvents on an empty store", nil, audit(store.AuditQuery{}))
	in := []store.AuditEvent{
		{At: when(0), ActorID: 7, Actor: "ana@example.com", Action: "connection.create", TargetType: "connection", TargetID: "1",
			After: map[string]string{"name": "Sales", "owner": "7"}},
		{At: when(time.Second), ActorID: 7, Actor: "ana@example.com", Action: "connection.create", TargetType: "connection", TargetID: "2"},
		{At: when(time.Minute), Actor: "cli", Action: "webhook.create", TargetType: "webhook", TargetID: "1", After: map[string]string{}},
		{At: when(time.Hour), ActorID: 8, Actor: "bo@example.com", Action: "connection.transfer", TargetType: "connection", TargetID: "1",
			Before: map[string]string{"owner": "7", "note": "\"quoted\" ü 日本"}, After: map[string]string{"owner": "8"}},
		// "10" and "1" are different targets, as are connection 1 and integration 1.
		{At: when(2 * time.Hour), ActorID: 8, Actor: "bo@example.com", Action: "connection.pause", TargetType: "connection", TargetID: "10"},
		{At: when(3 * time.Hour), ActorID: 1 << 40, Actor: "root@example.com", Action: "integration.update", TargetType: "integration", TargetID: "1"},
		{Actor: "system", Action: "connection.broken", TargetType: "connection", TargetID: "2"},
	}
	var e []store.AuditEvent
	for _, ev := range in {
		// One transaction each, so the order across commits is what is tested.
		got := put(t, s, func(ctx context.Context, tx store.Tx) (store.AuditEvent, error) { return tx.AppendAudit(ctx, ev) })
		if got.Seq <= 0 || (len(e) > 0 && got.Seq <= e[len(e)-1].Seq) {
			t.Fatalf("audit seq %d: want positive and increasing", got.Seq)
		}
		ev.Seq, ev.At = got.Seq, stored(ev.At)
		if diff := cmp.Diff(ev, got, opts); diff != "" {
			t.Errorf("AppendAudit does not return the stored value (-stored +returned):\n%s", diff)
		}
		e = append(e, ev)
	}
	for _, tc := range []struct {
		q    store.AuditQuery
		want []store.AuditEvent
	}{
		{store.AuditQuery{}, []store.AuditEvent{e[6], e[5], e[4], e[3], e[2], e[1], e[0]}},
		{store.AuditQuery{TargetType: "connection"}, []store.AuditEvent{e[6], e[4], e[3], e[1], e[0]}},
		{store.AuditQuery{TargetType: "connection", TargetID: "1"}, []store.AuditEvent{e[3], e[0]}},
		{store.AuditQuery{TargetID: "1"}, []store.AuditEvent{e[5], e[3], e[2], e[0]}},
		{store.AuditQuery{TargetType: "Connection"}, nil},
		{store.AuditQuery{BeforeSeq: e[3].Seq}, []store.AuditEvent{e[2], e[1], e[0]}},
		{store.AuditQuery{TargetType: "connection", BeforeSeq: e[3].Seq}, []store.AuditEvent{e[1], e[0]}},
		{store.AuditQuery{BeforeSeq: e[0].Seq}, nil},
		{store.AuditQuery{Limit: 2}, []store.AuditEvent{e[6], e[5]}},
		{store.AuditQuery{TargetType: "connection", Limit: 3, BeforeSeq: e[6].Seq}, []store.AuditEvent{e[4], e[3], e[1]}},
		{store.AuditQuery{Actor: "bo@example.com"}, []store.AuditEvent{e[4], e[3]}},
		{store.AuditQuery{Actor: "BO@example.com"}, nil},
		{store.AuditQuery{Action: "connection.create"}, []store.AuditEvent{e[1], e[0]}},
		{store.AuditQuery{Action: "connection."}, []store.AuditEvent{e[6], e[4], e[3], e[1], e[0]}},
		{store.AuditQuery{Action: "connection"}, nil},
		{store.AuditQuery{Action: "connection_"}, nil},
		{store.AuditQuery{Since: when(time.Minute), Until: when(3 * time.Hour)}, []store.AuditEvent{e[4], e[3], e[2]}},
		// e[6] has no time, so it is before every bound.
		{store.AuditQuery{Since: when(2 * time.Hour)}, []store.AuditEvent{e[5], e[4]}},
		{store.AuditQuery{Until: when(time.Minute)}, []store.AuditEvent{e[6], e[1], e[0]}},
		{store.AuditQuery{Actor: "bo@example.com", Action: "connection.", Until: when(2 * time.Hour), TargetID: "1"}, []store.AuditEvent{e[3]}},
	} {
		wantRead(t, s, fmt.Sprintf("AuditEvents(%+v)", tc.q), tc.want, audit(tc.q))
	}

	// Paging by the last seq of each page walks the whole log once.
	var paged []store.AuditEvent
	q := store.AuditQuery{Limit: 3}
	for range len(e) {
		page := get(t, s, audit(q))
		if len(page) == 0 {
			break
		}
		if len(page) > q.Limit {
			t.Fatalf("page of %d events, limit %d", len(page), q.Limit)
		}
		paged = append(paged, page...)
		q.BeforeSeq = page[len(page)-1].Seq
	}
	if diff := cmp.Diff([]store.AuditEvent{e[6], e[5], e[4], e[3], e[2], e[1], e[0]}, paged, opts); diff != "" {
		t.Errorf("AuditEvents paged by 3 (-want +got):\n%s", diff)
	}

	// Without a limit, a page is the newest 100.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range 100 {
			if _, err := tx.AppendAudit(ctx, store.AuditEvent{At: when(0), Actor: "system", Action: "bulk",
				TargetType: "bulk", TargetID: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, limit := range []int{0, -1} {
		page := get(t, s, audit(store.AuditQuery{Limit: limit}))
		if len(page) != 100 || page[0].TargetID != "99" || page[99].TargetID != "0" {
			t.Errorf("AuditEvents with limit %d: %d events, want the 100 bulk ones, newest first", limit, len(page))
		}
	}
}

func testWebhooks(t *testing.T, s store.Store) {
	in := []store.Webhook{
		{URL: "https://hooks.example/a?b=1&c=\"2\"", Secret: sealed("hook secret"),
			Events: []string{"connection.recovered", "connection.broken"}, CreatedBy: 7, CreatedAt: when(0)},
		{URL: "http://127.0.0.1:9000/hook", CreatedAt: when(time.Minute)},
	}
	var want []store.Webhook
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, w := range in {
			got, err := tx.CreateWebhook(ctx, w)
			if err != nil {
				return err
			}
			w.ID, w.CreatedAt = got.ID, stored(w.CreatedAt)
			if diff := cmp.Diff(w, got, opts); diff != "" {
				t.Errorf("CreateWebhook does not return the stored value (-stored +returned):\n%s", diff)
			}
			want = append(want, w)
		}
		return nil
	})
	if want[0].ID <= 0 || want[1].ID <= want[0].ID {
		t.Fatalf("webhook ids %d, %d: want positive and increasing", want[0].ID, want[1].ID)
	}
	for _, w := range want {
		wantRead(t, s, "Webhook", w, func(ctx context.Context, tx store.Tx) (store.Webhook, error) { return tx.Webhook(ctx, w.ID) })
	}
	wantRead(t, s, "Webhooks", want, func(ctx context.Context, tx store.Tx) ([]store.Webhook, error) { return tx.Webhooks(ctx) })
	wantRead(t, s, "Secret == nil", true, func(ctx context.Context, tx store.Tx) (bool, error) {
		w, err := tx.Webhook(ctx, want[1].ID)
		return w.Secret == nil, err
	})
	wantReadErr(t, s, "Webhook(unknown)", store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Webhook(ctx, want[1].ID+1)
		return err
	})

	changed := want[1]
	changed.URL, changed.Secret, changed.Events = "https://hooks.example/new", sealed("new"), []string{"connection.broken"}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateWebhook(ctx, changed) })
	wantRead(t, s, "Webhooks after UpdateWebhook", []store.Webhook{want[0], changed},
		func(ctx context.Context, tx store.Tx) ([]store.Webhook, error) { return tx.Webhooks(ctx) })

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteWebhook(ctx, want[0].ID) })
	wantRead(t, s, "Webhooks after DeleteWebhook", []store.Webhook{changed},
		func(ctx context.Context, tx store.Tx) ([]store.Webhook, error) { return tx.Webhooks(ctx) })
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeleteWebhook(ctx, want[0].ID) })
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.UpdateWebhook(ctx, want[0]) })
}

func storedDelivery(d store.Delivery) store.Delivery {
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = stored(d.NextAttemptAt), stored(d.CreatedAt), stored(d.DeliveredAt)
	return d
}

func createDeliveries(t *testing.T, s store.Store, in ...store.Delivery) []store.Delivery {
	t.Helper()
	var out []store.Delivery
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, d := range in {
			got, err := tx.CreateDelivery(ctx, d)
			if err != nil {
				return err
			}
			d.ID = got.ID
			if diff := cmp.Diff(storedDelivery(d), got, opts); diff != "" {
				t.Errorf("CreateDelivery does not return the stored value (-stored +returned):\n%s", diff)
			}
			if len(out) > 0 && d.ID <= out[len(out)-1].ID {
				t.Fatalf("delivery id %d after %d: want increasing", d.ID, out[len(out)-1].ID)
			}
			out = append(out, storedDelivery(d))
		}
		return nil
	})
	return out
}

func testDeliveries(t *testing.T, s store.Store) {
	hooks := make([]int64, 2)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range hooks {
			w, err := tx.CreateWebhook(ctx, store.Webhook{URL: fmt.Sprintf("https://hooks.example/%d", i), CreatedAt: when(0)})
			hooks[i] = w.ID
			if err != nil {
				return err
			}
		}
		return nil
	})
	h1, h2 := hooks[0], hooks[1]
	const c1, c2 = 1, 2
	pending := func(hook, conn int64, next time.Time) store.Delivery {
		return store.Delivery{WebhookID: hook, ConnectionID: conn, Event: "connection.broken",
			Payload: `{"connection":1,"reason":"ü \"x\""}`, State: store.DeliveryPending, NextAttemptAt: next, CreatedAt: when(0)}
	}
	d := createDeliveries(t, s,
		pending(h1, c1, when(2*time.Minute)),
		store.Delivery{WebhookID: h1, ConnectionID: c1, Event: "connection.recovered", Payload: "{}", State: store.DeliveryDelivered,
			Attempts: 1, NextAttemptAt: when(0), CreatedAt: when(time.Second), DeliveredAt: when(time.Minute)},
		pending(h1, c2, when(time.Minute)),
		// Due at the same time as the one before: the id breaks the tie.
		pending(h2, c1, when(time.Minute)),
		store.Delivery{WebhookID: h1, ConnectionID: c1, Event: "connection.broken", Payload: "{}", State: store.DeliveryFailed,
			Attempts: 5, NextAttemptAt: when(10 * time.Minute), LastError: "502 Bad Gateway", StatusCode: 502, CreatedAt: when(2 * time.Second)},
		pending(h1, c1, when(time.Hour)),
		store.Delivery{WebhookID: h2, ConnectionID: c1, Event: "connection.broken", Payload: "{}", State: store.DeliverySuppressed,
			LastError: "replaced", NextAttemptAt: when(0), CreatedAt: when(3 * time.Second)},
		// Due from the start.
		pending(h2, c2, time.Time{}),
	)

	due := func(now time.Time, limit int) func(ctx context.Context, tx store.Tx) ([]store.Delivery, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.Delivery, error) {
			return tx.DueDeliveries(ctx, now, limit)
		}
	}
	for _, tc := range []struct {
		now   time.Time
		limit int
		want  []store.Delivery
	}{
		{when(30 * time.Minute), 10, []store.Delivery{d[7], d[2], d[3], d[0]}},
		{when(30 * time.Minute), 2, []store.Delivery{d[7], d[2]}},
		{when(30 * time.Minute), 0, []store.Delivery{d[7], d[2], d[3], d[0]}},
		// Due at now itself, to the millisecond.
		{when(time.Minute), 10, []store.Delivery{d[7], d[2], d[3]}},
		{when(time.Minute - time.Millisecond), 10, []store.Delivery{d[7]}},
		{when(2 * time.Hour), 10, []store.Delivery{d[7], d[2], d[3], d[0], d[5]}},
	} {
		wantRead(t, s, fmt.Sprintf("DueDeliveries(%v, %d)", tc.now, tc.limit), tc.want, due(tc.now, tc.limit))
	}

	last := func(hook, conn int64, states ...string) func(ctx context.Context, tx store.Tx) (store.Delivery, error) {
		return func(ctx context.Context, tx store.Tx) (store.Delivery, error) {
			return tx.LastDelivery(ctx, hook, conn, states...)
		}
	}
	for _, tc := range []struct {
		hook, conn int64
		states     []string
		want       store.Delivery
	}{
		{h1, c1, nil, d[5]},
		{h1, c1, []string{store.DeliveryPending}, d[5]},
		{h1, c1, []string{store.DeliveryDelivered}, d[1]},
		{h1, c1, []string{store.DeliveryDelivered, store.DeliveryFailed}, d[4]},
		{h1, c2, nil, d[2]},
		{h2, c1, []string{store.DeliverySuppressed, store.DeliveryDelivered}, d[6]},
	} {
		wantRead(t, s, fmt.Sprintf("LastDelivery(%d, %d, %v)", tc.hook, tc.conn, tc.states), tc.want, last(tc.hook, tc.conn, tc.states...))
	}
	for _, tc := range []struct {
		hook, conn int64
		states     []string
	}{
		{h1, c1, []string{store.DeliverySuppressed}},
		{h1, 3, nil},
		{h2 + 1, c1, nil},
	} {
		wantReadErr(t, s, fmt.Sprintf("LastDelivery(%d, %d, %v)", tc.hook, tc.conn, tc.states), store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
			_, err := last(tc.hook, tc.conn, tc.states...)(ctx, tx)
			return err
		})
	}

	deliveries := func(hook int64, limit int) func(ctx context.Context, tx store.Tx) ([]store.Delivery, error) {
		return func(ctx context.Context, tx store.Tx) ([]store.Delivery, error) {
			return tx.Deliveries(ctx, hook, limit)
		}
	}
	wantRead(t, s, "Deliveries(h1, 10)", []store.Delivery{d[5], d[4], d[2], d[1], d[0]}, deliveries(h1, 10))
	wantRead(t, s, "Deliveries(h1, 2)", []store.Delivery{d[5], d[4]}, deliveries(h1, 2))
	wantRead(t, s, "Deliveries(h2, 0)", []store.Delivery{d[7], d[6], d[3]}, deliveries(h2, 0))

	// Every mutable field changes; a delivered one no longer is due.
	sent := d[0]
	sent.State, sent.Attempts, sent.NextAttemptAt, sent.LastError, sent.StatusCode, sent.DeliveredAt =
		store.DeliveryDelivered, 3, when(3*time.Minute), "timeout, then 200", 200, when(4*time.Minute)
	sent = storedDelivery(sent)
	retry := d[2]
	retry.Attempts, retry.NextAttemptAt, retry.LastError, retry.StatusCode = 1, when(5*time.Minute), "503", 503
	retry = storedDelivery(retry)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateDelivery(ctx, sent); err != nil {
			return err
		}
		return tx.UpdateDelivery(ctx, retry)
	})
	wantRead(t, s, "Deliveries after UpdateDelivery", []store.Delivery{d[5], d[4], retry, d[1], sent}, deliveries(h1, 10))
	wantRead(t, s, "DueDeliveries after UpdateDelivery", []store.Delivery{d[7], d[3], retry}, due(when(30*time.Minute), 10))
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		missing := sent
		missing.ID = d[7].ID + 1
		return tx.UpdateDelivery(ctx, missing)
	})

	// Deleting a webhook deletes its deliveries, and only those.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteWebhook(ctx, h1) })
	wantRead(t, s, "Deliveries of a deleted webhook", nil, deliveries(h1, 10))
	wantRead(t, s, "Deliveries of another webhook", []store.Delivery{d[7], d[6], d[3]}, deliveries(h2, 10))
	wantRead(t, s, "DueDeliveries after DeleteWebhook", []store.Delivery{d[7], d[3]}, due(when(30*time.Minute), 10))
}

// testDueDeliveriesConcurrent checks that a delivery one transaction took
// is not given to another while the first is still sending it, as two
// replicas would: the second gets the next due one. Where writers are
// serial, the second only starts once the first has committed.
func testDueDeliveriesConcurrent(t *testing.T, s store.Store) {
	hook := put(t, s, func(ctx context.Context, tx store.Tx) (store.Webhook, error) {
		return tx.CreateWebhook(ctx, store.Webhook{URL: "https://hooks.example/", CreatedAt: when(0)})
	})
	var in []store.Delivery
	for i := range 3 {
		in = append(in, store.Delivery{WebhookID: hook.ID, ConnectionID: 1, Event: "connection.broken", Payload: "{}",
			State: store.DeliveryPending, NextAttemptAt: when(time.Duration(i) * time.Second), CreatedAt: when(0)})
	}
	d := createDeliveries(t, s, in...)
	now := when(time.Hour)
	// take claims the oldest due delivery and marks it delivered.
	take := func(ctx context.Context, tx store.Tx, hold func()) ([]store.Delivery, error) {
		due, err := tx.DueDeliveries(ctx, now, 1)
		if err != nil {
			return nil, err
		}
		hold()
		for _, x := range due {
			x.State, x.Attempts, x.DeliveredAt = store.DeliveryDelivered, x.Attempts+1, now
			if err := tx.UpdateDelivery(ctx, x); err != nil {
				return nil, err
			}
		}
		return due, nil
	}

	taken, secondDone := make(chan struct{}), make(chan struct{})
	var first, second []store.Delivery
	var firstErr, secondErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		ctx := t.Context()
		firstErr = s.Update(ctx, func(tx store.Tx) (err error) {
			first, err = take(ctx, tx, func() {
				close(taken)
				// Keep the transaction open while the second one runs; a
				// backend with serial writers makes it wait instead.
				select {
				case <-secondDone:
				case <-time.After(250 * time.Millisecond):
				}
			})
			return err
		})
	})
	wg.Go(func() {
		defer close(secondDone)
		<-taken
		ctx := t.Context()
		secondErr = s.Update(ctx, func(tx store.Tx) (err error) {
			second, err = take(ctx, tx, func() {})
			return err
		})
	})
	wg.Wait()
	if firstErr != nil || secondErr != nil {
		t.Fatalf("taking deliveries: %v; %v", firstErr, secondErr)
	}
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("took %d and %d deliveries, want 1 each", len(first), len(second))
	}
	if first[0].ID != d[0].ID || second[0].ID != d[1].ID {
		t.Errorf("took deliveries %d and %d, want %d and then %d", first[0].ID, second[0].ID, d[0].ID, d[1].ID)
	}
	wantRead(t, s, "DueDeliveries after both", []store.Delivery{d[2]}, func(ctx context.Context, tx store.Tx) ([]store.Delivery, error) {
		return tx.DueDeliveries(ctx, now, 10)
	})
}

// testDueDeliveriesWorkers runs workers that claim, send and mark
// deliveries until none is due: each delivery is sent exactly once.
func testDueDeliveriesWorkers(t *testing.T, s store.Store) {
	const workers, deliveries = 4, 24
	hook := put(t, s, func(ctx context.Context, tx store.Tx) (store.Webhook, error) {
		return tx.CreateWebhook(ctx, store.Webhook{URL: "https://hooks.example/", CreatedAt: when(0)})
	})
	in := make([]store.Delivery, deliveries)
	for i := range in {
		in[i] = store.Delivery{WebhookID: hook.ID, ConnectionID: int64(i % 3), Event: "connection.broken", Payload: "{}",
			State: store.DeliveryPending, NextAttemptAt: when(time.Duration(i) * time.Millisecond), CreatedAt: when(0)}
	}
	createDeliveries(t, s, in...)
	now := when(time.Hour)
	wantEachClaimedOnce(t, s, workers, deliveries, func(ctx context.Context, tx store.Tx) ([]int64, error) {
		due, err := tx.DueDeliveries(ctx, now, 2)
		if err != nil {
			return nil, err
		}
		time.Sleep(time.Millisecond) // sending
		var claimed []int64
		for _, x := range due {
			claimed = append(claimed, x.ID)
			x.State, x.Attempts = store.DeliveryDelivered, x.Attempts+1
			if err := tx.UpdateDelivery(ctx, x); err != nil {
				return nil, err
			}
		}
		return claimed, nil
	})
	got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Delivery, error) {
		return tx.Deliveries(ctx, hook.ID, 100)
	})
	for _, x := range got {
		if x.State != store.DeliveryDelivered || x.Attempts != 1 {
			t.Errorf("delivery %d: state %s after %d attempts, want delivered after 1", x.ID, x.State, x.Attempts)
		}
	}
}

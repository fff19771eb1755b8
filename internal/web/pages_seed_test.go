package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// seedConnections stores conns connections straight into env's store, in
// every status and with several owners, and runs sync runs spread over
// them, for lists and benchmarks; boss@example.com is an admin to sign in as.
func seedConnections(t testing.TB, env *hubtest.Env, conns, runs int) {
	t.Helper()
	ctx := context.Background()
	var owners []store.User
	owners = append(owners, env.User(t, "boss@example.com", identity.RoleAdmin, nil))
	for i := range 9 {
		owners = append(owners, env.User(t, fmt.Sprintf("owner%d@example.com", i), identity.RoleAdmin, nil))
	}
	statuses := []string{connection.StatusActive, connection.StatusActive, connection.StatusActive,
		connection.StatusDegraded, connection.StatusNeedsReconnect, connection.StatusPaused}
	now := time.Now().UTC()
	var ids []int64
	err := env.Hub.Store.Update(ctx, func(tx store.Tx) error {
		in, err := tx.CreateIntegration(ctx, store.Integration{Name: "seeded", Provider: "hubspot", AuthKind: "oauth2",
			Config: map[string]string{}, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return err
		}
		for i := range conns {
			c := store.Connection{IntegrationID: in.ID, Name: fmt.Sprintf("Seeded %04d", i), AuthMode: connection.ModeUser,
				OwnerID: owners[i%len(owners)].ID, MaintainerID: owners[(i+1)%len(owners)].ID, Objects: []string{"contacts"},
				Status: statuses[i%len(statuses)], CreatedAt: now.Add(-time.Duration(i) * time.Hour), UpdatedAt: now,
				StatusChangedAt: now.Add(-time.Duration(i) * time.Hour), LastSuccessAt: now.Add(-time.Minute), LastRunAt: now.Add(-time.Minute)}
			if c.Status != connection.StatusActive {
				c.Reason, c.ReasonMessage, c.NextStep, c.ReasonSince = "seeded", "Seeded as "+c.Status+".", "None.", c.StatusChangedAt
			}
			if c, err = tx.CreateConnection(ctx, c); err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed connections: %v", err)
	}
	for done := 0; done < runs; {
		err := env.Hub.Store.Update(ctx, func(tx store.Tx) error {
			for end := min(done+10_000, runs); done < end; done++ {
				at := now.Add(-time.Duration(done) * time.Minute)
				if _, err := tx.CreateSyncRun(ctx, store.SyncRun{ConnectionID: ids[done%len(ids)], Trigger: "schedule",
					Status: "succeeded", StartedAt: at, FinishedAt: at.Add(time.Second), HeartbeatAt: at.Add(time.Second),
					Counts: map[string]int{"contacts.to_app.updated": done % 7}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed runs: %v", err)
		}
	}
}

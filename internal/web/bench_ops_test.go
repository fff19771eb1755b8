package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// BenchmarkAuditLogPage serves a page of an audit log of 30,000 events
// (a busy hub's year), unfiltered, filtered by actor, kind of action and
// time, and an older page, as a signed-in browser asks for them. Each must
// stay well under 50 ms; the log is made through the store, which takes
// most of the benchmark's time.
func BenchmarkAuditLogPage(b *testing.B) {
	const auditEvents = 30_000
	env := hubtest.New(b, hubtest.SQLite)
	env.User(b, "boss@example.com", identity.RoleAdmin, nil)
	ctx := context.Background()
	start := time.Now().Add(-auditEvents * time.Second)
	actions := []string{"connection.pause", "connection.resume", "webhook.create", "integration.update", "connection.transfer"}
	err := env.Hub.Store.Update(ctx, func(tx store.Tx) error {
		for i := range auditEvents {
			_, err := tx.AppendAudit(ctx, store.AuditEvent{At: start.Add(time.Duration(i) * time.Second), ActorID: int64(i%50 + 1),
				Actor: fmt.Sprintf("user%d@example.com", i%50), Action: actions[i%len(actions)], TargetType: "connection",
				TargetID: strconv.Itoa(i % 1000), After: map[string]string{"status": "paused"}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	br := env.Browser()
	br.SignIn(b, "boss@example.com")
	for name, path := range map[string]string{
		"all":      "/audit",
		"filtered": "/audit?actor=user7@example.com&action=connection.&since=" + start.Add(auditEvents/2*time.Second).UTC().Format(time.RFC3339),
		"older":    "/audit?before=" + strconv.Itoa(auditEvents/2),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if status, _, _ := br.Page(b, http.MethodGet, path, nil); status != http.StatusOK {
					b.Fatalf("%s: %d", path, status)
				}
			}
		})
	}
}

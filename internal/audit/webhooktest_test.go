package audit_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// TestSendTest: a test event is delivered signed like any other, twice in a
// row (it tells of no state, so the second is not suppressed), and each
// delivery keeps the receiver's answer; a missing webhook is not found.
func TestSendTest(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			ctx := context.Background()
			b.recv.respond = func(call int) int {
				if call == 2 {
					return http.StatusTeapot
				}
				return http.StatusAccepted
			}
			for range 2 {
				d, err := b.hooks.SendTest(ctx, audit.Actor{ID: 1, Label: "ana@example.com"}, b.hook.ID)
				if err != nil {
					t.Fatal(err)
				}
				if d.Event != audit.EventTest || d.State != store.DeliveryPending {
					t.Fatalf("queued delivery = %+v, want a pending %s", d, audit.EventTest)
				}
				b.deliver(t)
			}
			ds := b.deliveries(t)
			if len(ds) != 2 {
				t.Fatalf("deliveries = %+v, want 2", ds)
			}
			if d := ds[0]; d.State != store.DeliveryDelivered || d.StatusCode != http.StatusAccepted || d.Attempts != 1 {
				t.Errorf("first test delivery = %+v, want delivered with 202 on the first attempt", d)
			}
			if d := ds[1]; d.State != store.DeliveryPending || d.StatusCode != http.StatusTeapot || d.LastError != "HTTP 418" {
				t.Errorf("second test delivery = %+v, want pending a retry after HTTP 418", d)
			}
			got := b.recv.received()
			if len(got) != 1 || got[0].Event != audit.EventTest || got[0].Body["kind"] != audit.EventTest {
				t.Errorf("receiver got %+v, want one %s", got, audit.EventTest)
			}
			events, err := audit.NewLog(b.st).List(ctx, store.AuditQuery{Action: "webhook.test", Actor: "ana@example.com"})
			if err != nil || len(events) != 2 {
				t.Errorf("audit of the test events: %+v, %v; want 2", events, err)
			}
			if _, err := b.hooks.SendTest(ctx, audit.CLI, b.hook.ID+100); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SendTest of a missing webhook: %v, want not found", err)
			}
			if _, err := b.hooks.Deliveries(ctx, b.hook.ID+100, 10); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Deliveries of a missing webhook: %v, want not found", err)
			}
		})
	}
}

package audit_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// TestWebhookCreateListDelete: URLs and events are checked, the secret is
// shown once and stored only sealed for that row, and both changes are
// audited with their actor.
func TestWebhookCreateListDelete(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, backend)
			ann := audit.Actor{ID: 7, Label: "ann@example.com"}

			for _, c := range []struct {
				url    string
				events []string
			}{
				{"", nil},
				{"/relative/path", nil},
				{"ftp://example.com/hook", nil},
				{"https://", nil},
				{"https://user:pass@example.com/hook", nil},
				{"https://example.com/hook", []string{"connection.deleted"}},
			} {
				if _, _, err := b.hooks.Create(ctx, ann, c.url, c.events); !errors.Is(err, audit.ErrInvalid) {
					t.Errorf("Create(%q, %v) = %v, want ErrInvalid", c.url, c.events, err)
				}
			}

			hook, secret, err := b.hooks.Create(ctx, ann, "https://example.com/hook?team=ops", []string{audit.EventRecovered, audit.EventRecovered})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+64 {
				t.Errorf("secret %q, want whsec_ and 64 hex digits", secret)
			}
			if !cmp.Equal(hook.Events, []string{audit.EventRecovered}) || hook.CreatedBy != ann.ID || hook.Secret != nil {
				t.Errorf("created webhook = %+v", hook)
			}
			if !cmp.Equal(b.hook.Events, []string{audit.EventBroken, audit.EventRecovered}) {
				t.Errorf("webhook created with no events subscribes to %v, want both", b.hook.Events)
			}

			var stored store.Webhook
			err = b.st.View(ctx, func(tx store.Tx) (err error) {
				stored, err = tx.Webhook(ctx, hook.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(stored.Secret) == 0 || bytes.Contains(stored.Secret, []byte(secret)) {
				t.Errorf("stored secret is %q, want it sealed", stored.Secret)
			}
			if got, err := b.sealer.Unseal(stored.Secret, vault.WebhookAAD(hook.ID)); err != nil || string(got) != secret {
				t.Errorf("stored secret opens to %q, %v; want the secret shown", got, err)
			}
			if _, err := b.sealer.Unseal(stored.Secret, vault.WebhookAAD(b.hook.ID)); err == nil {
				t.Errorf("the secret opens for another webhook's id")
			}

			list, err := b.hooks.List(ctx)
			if err != nil || len(list) != 2 || list[1].ID != hook.ID || list[1].Secret != nil {
				t.Errorf("List = %+v, %v; want both webhooks, without secrets", list, err)
			}

			if err := b.hooks.Delete(ctx, ann, hook.ID); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if err := b.hooks.Delete(ctx, ann, hook.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("second Delete = %v, want ErrNotFound", err)
			}
			if list, _ := b.hooks.List(ctx); len(list) != 1 || list[0].ID != b.hook.ID {
				t.Errorf("after Delete List = %+v", list)
			}

			evs, err := audit.NewLog(b.st).List(ctx, store.AuditQuery{TargetType: "webhook", TargetID: strconv.FormatInt(hook.ID, 10)})
			if err != nil || len(evs) != 2 {
				t.Fatalf("audit of the webhook = %d events, %v; want 2", len(evs), err)
			}
			del, create := evs[0], evs[1]
			if del.Action != "webhook.delete" || del.Actor != ann.Label || del.ActorID != ann.ID || del.Before["url"] != "https://example.com/hook" {
				t.Errorf("delete audit = %+v", del)
			}
			if create.Action != "webhook.create" || create.Actor != ann.Label || create.After["events"] != audit.EventRecovered {
				t.Errorf("create audit = %+v", create)
			}
			for _, e := range evs {
				for _, m := range []map[string]string{e.Before, e.After} {
					for _, v := range m {
						if strings.Contains(v, secret) {
							t.Errorf("audit event %s holds the secret", e.Action)
						}
					}
				}
			}
		})
	}
}

// TestDeliverySigned: an event reaches a subscribed receiver once, signed,
// with the documented body; a webhook not subscribed to that kind gets
// nothing.
func TestDeliverySigned(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			other := newReceiver(t, b.clock)
			_, otherSecret, err := b.hooks.Create(context.Background(), audit.CLI, other.srv.URL, []string{audit.EventRecovered})
			if err != nil {
				t.Fatal(err)
			}
			other.setSecret(otherSecret)

			b.enqueue(t, 42, audit.EventBroken)
			if n := b.deliver(t); n != 1 {
				t.Errorf("first pass sent %d, want 1", n)
			}
			if n := b.deliver(t); n != 0 {
				t.Errorf("second pass sent %d, want 0", n)
			}
			got := b.recv.received()
			if len(got) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(got))
			}
			ds := b.deliveries(t)
			if len(ds) != 1 || ds[0].State != store.DeliveryDelivered || ds[0].Attempts != 1 || !ds[0].DeliveredAt.Equal(b.clock.Now()) {
				t.Errorf("deliveries = %+v", ds)
			}
			if got[0].Event != audit.EventBroken || got[0].Delivery != strconv.FormatInt(ds[0].ID, 10) {
				t.Errorf("headers: event %q delivery %q", got[0].Event, got[0].Delivery)
			}
			body := got[0].Body
			wantConn := map[string]any{"id": 42.0, "name": "HubSpot EU", "status": "needs_reconnect",
				"reason": "external_token_expired", "message": "The refresh token was rejected.", "next_step": "reconnect"}
			if diff := cmp.Diff(wantConn, body["connection"]); diff != "" {
				t.Errorf("payload connection (-want +got):\n%s", diff)
			}
			if id, _ := body["id"].(string); body["kind"] != audit.EventBroken || !strings.HasPrefix(id, "evt_") ||
				body["occurred_at"] != b.clock.Now().Format(time.RFC3339) {
				t.Errorf("payload = %v", body)
			}
			if n := other.callCount(); n != 0 {
				t.Errorf("a webhook subscribed to recoveries got %d requests for a break", n)
			}
		})
	}
}

// TestDeliveryRetries: a 500 is retried on the schedule until the receiver
// takes it; the error is recorded as the status code.
func TestDeliveryRetries(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend, audit.WithRetries(5, func(n int) time.Duration { return time.Duration(n+1) * time.Second }))
			b.recv.respond = func(call int) int {
				if call <= 2 {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			}
			b.enqueue(t, 1, audit.EventBroken)

			b.deliver(t)
			d := b.deliveries(t)[0]
			if d.State != store.DeliveryPending || d.Attempts != 1 || d.LastError != "HTTP 500" || !d.NextAttemptAt.Equal(b.clock.Now().Add(time.Second)) {
				t.Errorf("after a 500: %+v", d)
			}
			if n := b.deliver(t); n != 0 {
				t.Errorf("a pass before the retry is due sent %d", n)
			}
			b.clock.Advance(time.Second)
			b.deliver(t)
			if d := b.deliveries(t)[0]; d.Attempts != 2 || !d.NextAttemptAt.Equal(b.clock.Now().Add(2*time.Second)) {
				t.Errorf("after a second 500: %+v", d)
			}
			b.clock.Advance(2 * time.Second)
			b.deliver(t)
			d = b.deliveries(t)[0]
			if d.State != store.DeliveryDelivered || d.Attempts != 3 || d.LastError != "" {
				t.Errorf("after success: %+v", d)
			}
			if got := b.recv.received(); b.recv.callCount() != 3 || len(got) != 1 || got[0].Delivery != strconv.FormatInt(d.ID, 10) {
				t.Errorf("receiver: %d calls, accepted %+v", b.recv.callCount(), got)
			}
		})
	}
}

// TestDeliveryFails: after the last attempt a delivery is failed and never
// sent again; transport errors are recorded by kind, never with the URL.
func TestDeliveryFails(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, backend, audit.WithRetries(3, func(int) time.Duration { return 0 }))
			b.recv.respond = func(int) int { return http.StatusServiceUnavailable }
			b.enqueue(t, 1, audit.EventBroken)
			for range 3 {
				if n := b.deliver(t); n != 1 {
					t.Fatalf("pass sent %d, want 1", n)
				}
			}
			if n := b.deliver(t); n != 0 {
				t.Errorf("a pass after the last attempt sent %d", n)
			}
			d := b.deliveries(t)[0]
			if d.State != store.DeliveryFailed || d.Attempts != 3 || d.LastError != "HTTP 503" {
				t.Errorf("delivery = %+v, want failed after 3 attempts with HTTP 503", d)
			}

			closed := httptest.NewServer(http.NotFoundHandler())
			closed.Close()
			gone, _, err := b.hooks.Create(ctx, audit.CLI, closed.URL+"/hook?token=abc123", []string{audit.EventRecovered})
			if err != nil {
				t.Fatal(err)
			}
			b.enqueue(t, 2, audit.EventRecovered)
			b.deliver(t)
			ds, err := b.hooks.Deliveries(ctx, gone.ID, 10)
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries to the closed server: %+v, %v", ds, err)
			}
			if ds[0].LastError != "connection refused" || strings.Contains(ds[0].LastError, "abc123") {
				t.Errorf("LastError = %q, want \"connection refused\"", ds[0].LastError)
			}
		})
	}
}

// TestCooldownCollapsesFlapping: broken, recovered, broken within the
// cool-down reach the receiver as exactly one "broken", whether the first
// break was sent before the flapping or not.
func TestCooldownCollapsesFlapping(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			for _, sendFirst := range []bool{true, false} {
				b := setup(t, backend, audit.WithCooldown(5*time.Minute))
				b.enqueue(t, 1, audit.EventBroken)
				if sendFirst {
					b.deliver(t)
				}
				b.clock.Advance(time.Minute)
				b.enqueue(t, 1, audit.EventRecovered)
				b.deliver(t)
				b.clock.Advance(time.Minute)
				b.enqueue(t, 1, audit.EventBroken)
				for range 12 {
					b.deliver(t)
					b.clock.Advance(time.Minute)
				}
				if got := b.recv.events(); !cmp.Equal(got, []string{audit.EventBroken}) {
					t.Errorf("sendFirst=%v: receiver got %v, want one break", sendFirst, got)
				}
				for _, d := range b.deliveries(t) {
					if d.State == store.DeliveryPending {
						t.Errorf("sendFirst=%v: delivery %d still pending", sendFirst, d.ID)
					}
				}
			}
		})
	}
}

// TestCooldownSpacesChanges: a recovery inside the cool-down waits for it to
// end and is then sent; one after it is sent at once; a second connection
// has its own cool-down.
func TestCooldownSpacesChanges(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend, audit.WithCooldown(5*time.Minute))
			b.enqueue(t, 1, audit.EventBroken)
			b.deliver(t)
			b.clock.Advance(time.Minute)
			b.enqueue(t, 1, audit.EventRecovered)
			b.enqueue(t, 2, audit.EventBroken)
			b.deliver(t)
			want := []string{audit.EventBroken, audit.EventBroken}
			if got := b.recv.events(); !cmp.Equal(got, want) {
				t.Errorf("within the cool-down the receiver got %v, want %v", got, want)
			}
			b.clock.Advance(4*time.Minute - time.Millisecond)
			if n := b.deliver(t); n != 0 {
				t.Errorf("a pass just before the cool-down ends sent %d", n)
			}
			b.clock.Advance(time.Millisecond)
			b.deliver(t)
			want = append(want, audit.EventRecovered)
			if got := b.recv.events(); !cmp.Equal(got, want) {
				t.Errorf("after the cool-down the receiver got %v, want %v", got, want)
			}

			b.clock.Advance(6 * time.Minute)
			b.enqueue(t, 1, audit.EventBroken)
			b.deliver(t)
			want = append(want, audit.EventBroken)
			if got := b.recv.events(); !cmp.Equal(got, want) {
				t.Errorf("a break after the cool-down: receiver got %v, want %v", got, want)
			}
		})
	}
}

// TestConcurrentPassesSendOnce: passes running at once never send one
// delivery twice.
func TestConcurrentPassesSendOnce(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			b.recv.delay = 20 * time.Millisecond
			const conns = 40
			for c := range int64(conns) {
				b.enqueue(t, c+1, audit.EventBroken)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for {
						n, err := b.hooks.DeliverDue(context.Background())
						if err != nil {
							t.Errorf("DeliverDue: %v", err)
							return
						}
						if n == 0 {
							return
						}
					}
				})
			}
			wg.Wait()
			b.deliver(t) // anything a worker left behind when it stopped
			seen := map[string]int{}
			for _, r := range b.recv.received() {
				seen[r.Delivery]++
			}
			if len(seen) != conns {
				t.Errorf("receiver got %d distinct deliveries, want %d", len(seen), conns)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("delivery %s sent %d times", id, n)
				}
			}
		})
	}
}

// TestRunStopsWithContext: Run delivers while its context lives and returns
// once it ends, after which nothing is sent.
func TestRunStopsWithContext(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend, audit.WithPollInterval(10*time.Millisecond))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				b.hooks.Run(ctx)
			}()
			b.enqueue(t, 1, audit.EventBroken)
			deadline := time.Now().Add(5 * time.Second)
			for len(b.recv.events()) == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if len(b.recv.events()) != 1 {
				t.Fatalf("Run did not deliver within 5s")
			}
			cancel()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatal("Run did not return after its context ended")
			}
			b.enqueue(t, 2, audit.EventBroken)
			time.Sleep(50 * time.Millisecond)
			if n := b.recv.callCount(); n != 1 {
				t.Errorf("receiver got %d requests after Run stopped, want 1 in all", n)
			}
		})
	}
}

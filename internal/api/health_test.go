package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// The health route counts failing records per object sync and groups them
// by kind; retrying a kind delivers those records and leaves the others.
func TestHealthAndRetryOfOneKind(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		ctx := context.Background()
		id := connected(t, tb, 0)
		os, err := tb.env.Hub.Syncer.AddObjectSync(ctx, audit.CLI, id, syncer.ObjectSyncInput{HubObject: "contacts"})
		if err != nil {
			t.Fatal(err)
		}
		refuse := func(email, reason string) {
			// Written as the connection's own runs write, so no run
			// delivers it: only a retry does.
			r, err := tb.env.Hub.CRM.Create(ctx, syncer.Source(id), "contacts", map[string]string{"email": email})
			if err != nil {
				t.Fatal(err)
			}
			err = tb.env.Hub.Store.Update(ctx, func(tx store.Tx) error {
				_, err := tx.PutRecordError(ctx, store.RecordError{SyncID: os.ID, Side: store.SideApp, HubID: r.ID,
					Reason: reason, Message: "refused", CreatedAt: time.Now(), UpdatedAt: time.Now()})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		refuse("ada@example.com", "record_rejected")
		refuse("grace@example.com", "record_rejected")
		refuse("barbara@example.com", "rate_limited")
		health := fmt.Sprintf("/api/v1/connections/%d/health", id)
		status, body := adminDo(t, tb.env, "ops@example.com", http.MethodGet, health, nil)
		objects, _ := body["objects"].([]any)
		groups, _ := body["error_groups"].([]any)
		if status != http.StatusOK || len(objects) != 1 || objects[0].(map[string]any)["failing"] != 3.0 || len(groups) != 2 ||
			groups[0].(map[string]any)["reason"] != "record_rejected" || groups[0].(map[string]any)["count"] != 2.0 {
			t.Fatalf("health: %d %v", status, body)
		}
		retry := fmt.Sprintf("/api/v1/connections/%d/errors/retry", id)
		if status, body := adminDo(t, tb.env, "ops@example.com", http.MethodPost, retry, map[string]any{}); status != http.StatusBadRequest {
			t.Errorf("retry without a reason: %d %v", status, body)
		}
		status, body = adminDo(t, tb.env, "ops@example.com", http.MethodPost, retry, map[string]any{"reason": "record_rejected"})
		if status != http.StatusOK || body["retried"] != 2.0 || body["resolved"] != 2.0 {
			t.Fatalf("retry record_rejected: %d %v", status, body)
		}
		_, body = adminDo(t, tb.env, "ops@example.com", http.MethodGet, health, nil)
		groups, _ = body["error_groups"].([]any)
		if len(groups) != 1 || groups[0].(map[string]any)["reason"] != "rate_limited" {
			t.Fatalf("after the retry the groups are %v", body["error_groups"])
		}
	})
}

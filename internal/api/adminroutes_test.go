package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

// connected gives the bundle's hub a connection to another hub, by private
// app token, with n sync runs on record, and returns its id.
func connected(t *testing.T, tb *testBundle, runs int) int64 {
	t.Helper()
	ctx := context.Background()
	ext := hubtest.New(t, hubtest.SQLite)
	conns := tb.env.Hub.Connections
	if _, err := conns.CreateIntegration(ctx, audit.CLI, connection.NewIntegration{Name: "other-hub", Provider: "hubspot",
		AuthKind: connection.AuthPrivateApp, Settings: connection.ProviderSettings("hubspot", ext.URL, nil)}); err != nil {
		t.Fatal(err)
	}
	started, err := conns.Create(ctx, audit.CLI, connection.NewConnection{Integration: "other-hub", Name: "crm",
		AuthMode: connection.ModeApp, Credential: connector.Credential{APIKey: ext.Token(t, hubtest.AllScopes...)}})
	if err != nil {
		t.Fatal(err)
	}
	id := started.Connection.ID
	tb.env.User(t, "ops@example.com", "admin", nil)
	err = tb.env.Hub.Store.Update(ctx, func(tx store.Tx) error {
		for i := range runs {
			at := time.Now().Add(time.Duration(i-runs) * time.Minute)
			if _, err := tx.CreateSyncRun(ctx, store.SyncRun{ConnectionID: id, Trigger: "manual", Status: "succeeded",
				StartedAt: at, FinishedAt: at.Add(time.Second), Counts: map[string]int{}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRunsHonourLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		id := connected(t, tb, 5)
		runs := fmt.Sprintf("/api/v1/connections/%d/runs", id)
		ids := func(body map[string]any) []int64 {
			var out []int64
			for _, r := range body["results"].([]any) {
				out = append(out, int64(r.(map[string]any)["id"].(float64)))
			}
			return out
		}
		status, body := adminDo(t, tb.env, "ops@example.com", http.MethodGet, runs+"?limit=2", nil)
		if got := ids(body); status != http.StatusOK || len(got) != 2 || got[0] <= got[1] {
			t.Errorf("runs?limit=2: %d %v, want the 2 newest, newest first", status, got)
		}
		if status, body := adminDo(t, tb.env, "ops@example.com", http.MethodGet, runs, nil); status != http.StatusOK || len(ids(body)) != 5 {
			t.Errorf("runs without a limit: %d %v", status, body)
		}
		for _, bad := range []string{"0", "-1", "two", "1001", "2.5"} {
			status, body := adminDo(t, tb.env, "ops@example.com", http.MethodGet, runs+"?limit="+bad, nil)
			if status != http.StatusBadRequest || body["subCategory"] != "INVALID_INPUT" || !strings.Contains(body["message"].(string), "limit") {
				t.Errorf("runs?limit=%s: %d %v, want 400 INVALID_INPUT", bad, status, body)
			}
		}
	})
}

// TestConnectionRoutesRefuseBadAndUnknownIDs calls every route of one
// connection with ids that are not ids (400) and with one that names no
// connection (404), never 200 with an empty list or 500.
func TestConnectionRoutesRefuseBadAndUnknownIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		real := connected(t, tb, 0)
		routes := []struct{ method, path string }{
			{"GET", "/api/v1/connections/%s"}, {"DELETE", "/api/v1/connections/%s"},
			{"POST", "/api/v1/connections/%s/reconnect"}, {"POST", "/api/v1/connections/%s/transfer"},
			{"POST", "/api/v1/connections/%s/pause"}, {"POST", "/api/v1/connections/%s/resume"},
			{"POST", "/api/v1/connections/%s/diagnose"}, {"GET", "/api/v1/connections/%s/syncs"},
			{"POST", "/api/v1/connections/%s/syncs"}, {"POST", "/api/v1/connections/%s/sync-now"},
			{"GET", "/api/v1/connections/%s/runs"}, {"GET", "/api/v1/connections/%s/errors"},
			{"POST", "/api/v1/connections/%s/errors/1/retry"}, {"GET", "/api/v1/connections/%s/health"},
			{"POST", "/api/v1/connections/%s/errors/retry"},
		}
		for _, r := range routes {
			for _, bad := range []string{"abc", "0", "-3", "1e3", "99999999999999999999"} {
				status, body := adminDo(t, tb.env, "ops@example.com", r.method, fmt.Sprintf(r.path, bad), map[string]any{"to": "x"})
				if status != http.StatusBadRequest || body["subCategory"] != "INVALID_ID" {
					t.Errorf("%s %s: %d %v, want 400 INVALID_ID", r.method, fmt.Sprintf(r.path, bad), status, body)
				}
			}
			status, body := adminDo(t, tb.env, "ops@example.com", r.method, fmt.Sprintf(r.path, "424242"), map[string]any{"to": "x"})
			if status != http.StatusNotFound || body["subCategory"] != "NOT_FOUND" {
				t.Errorf("%s %s: %d %v, want 404 NOT_FOUND", r.method, fmt.Sprintf(r.path, "424242"), status, body)
			}
		}
		retry := fmt.Sprintf("/api/v1/connections/%d/errors/0/retry", real)
		if status, body := adminDo(t, tb.env, "ops@example.com", http.MethodPost, retry, nil); status != http.StatusBadRequest || body["subCategory"] != "INVALID_ID" {
			t.Errorf("POST %s: %d %v, want 400 INVALID_ID", retry, status, body)
		}
		retry = fmt.Sprintf("/api/v1/connections/%d/errors/77/retry", real)
		if status, body := adminDo(t, tb.env, "ops@example.com", http.MethodPost, retry, nil); status != http.StatusNotFound {
			t.Errorf("POST %s: %d %v, want 404", retry, status, body)
		}
		if status, body := adminDo(t, tb.env, "ops@example.com", http.MethodDelete, "/api/v1/webhooks/0", nil); status != http.StatusBadRequest {
			t.Errorf("DELETE /api/v1/webhooks/0: %d %v, want 400", status, body)
		}
	})
}

// TestForbiddenNamesTheMissingPermission checks that a member without
// integrations.manage is told, on the connection and sync routes, which
// permission they lack and for which route.
func TestForbiddenNamesTheMissingPermission(t *testing.T) {
	t.Parallel()
	tb := setup(t, hubtest.SQLite)
	id := strconv.FormatInt(connected(t, tb, 0), 10)
	tb.env.User(t, "sam@example.com", "member", nil)
	for _, r := range []struct{ method, path, route string }{
		{"POST", "/api/v1/connections", "POST /api/v1/connections"},
		{"POST", "/api/v1/connections/" + id + "/pause", "POST /api/v1/connections/{id}/pause"},
		{"DELETE", "/api/v1/connections/" + id, "DELETE /api/v1/connections/{id}"},
		{"POST", "/api/v1/connections/" + id + "/sync-now", "POST /api/v1/connections/{id}/sync-now"},
		{"GET", "/api/v1/connections/" + id + "/runs", "GET /api/v1/connections/{id}/runs"},
		{"POST", "/api/v1/integrations", "POST /api/v1/integrations"},
		{"POST", "/api/v1/webhooks", "POST /api/v1/webhooks"},
	} {
		status, body := adminDo(t, tb.env, "sam@example.com", r.method, r.path, map[string]any{})
		msg, _ := body["message"].(string)
		if status != http.StatusForbidden || !strings.Contains(msg, "integrations.manage") || !strings.Contains(msg, r.route) ||
			strings.Contains(msg, "apps and grants") || !strings.Contains(msg, "--integrations-manage") {
			t.Errorf("%s %s by a member: %d %q", r.method, r.path, status, msg)
		}
		if ctx, _ := body["context"].(map[string]any); fmt.Sprint(ctx["requiredPermissions"]) != "[integrations.manage]" {
			t.Errorf("%s %s: context %v does not name the permission", r.method, r.path, body["context"])
		}
	}
}

package syncer_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/syncer"
)

// TestObjectSyncAdminAPI: PATCH and DELETE of an object sync, with the
// checks, the errors and the governance of every other connection route.
func TestObjectSyncAdminAPI(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, backend, syncer.ObjectSyncInput{})
			tb.b.User(t, "viewer@example.com", identity.RoleMember, map[string]string{"contacts": "edit"})
			path := fmt.Sprintf("/api/v1/connections/%d/syncs/%d", tb.conn.ID, tb.syncID(t))
			const admin = "admin@example.com"
			for _, c := range []struct {
				email, method, path string
				body                any
				status              int
				contains            []string
			}{
				{"viewer@example.com", "PATCH", path, map[string]any{"enabled": false}, http.StatusForbidden, []string{"integrations.manage"}},
				{"viewer@example.com", "DELETE", path, nil, http.StatusForbidden, nil},
				{admin, "PATCH", path, map[string]any{"mappings": []map[string]string{{"hub": "email", "app": "email"}, {"hub": "firstname", "app": "first_name"}}},
					http.StatusBadRequest, []string{`"subCategory":"MAPPING_INVALID"`, `has no field \"first_name\"; did you mean firstname?`, "It has: "}},
				{admin, "PATCH", path, map[string]any{}, http.StatusBadRequest, []string{"INVALID_INPUT", "nothing to change"}},
				{admin, "PATCH", path, map[string]any{"mappings": []any{}}, http.StatusBadRequest, []string{"at least one field mapping"}},
				{admin, "PATCH", path, map[string]any{"hub_object": "companies", "enabled": false}, http.StatusBadRequest, []string{"OBJECTS_FIXED"}},
				{admin, "PATCH", path, map[string]any{"direction": "sideways"}, http.StatusBadRequest, []string{"INVALID_INPUT", "direction must be"}},
				{admin, "PATCH", path + "0", map[string]any{"enabled": false}, http.StatusNotFound, []string{"has no object sync"}},
				{admin, "PATCH", fmt.Sprintf("/api/v1/connections/%d/syncs/x", tb.conn.ID), map[string]any{"enabled": false}, http.StatusBadRequest, []string{"INVALID_ID"}},
				{admin, "PATCH", path, map[string]any{"hub_object": "contacts", "enabled": false, "conflict_rule": "app_wins"},
					http.StatusOK, []string{`"enabled":false`, `"conflict_rule":"app_wins"`}},
				{admin, "PATCH", path, map[string]any{"mappings": []map[string]string{{"hub": "email", "app": "email"}, {"hub": "firstname", "app": "firstname"}}},
					http.StatusOK, []string{`"mappings":[{"hub":"email","app":"email","direction":""},{"hub":"firstname","app":"firstname","direction":""}]`}},
				{admin, "GET", "/api/v1/audit?target_type=connection&target_id=" + fmt.Sprint(tb.conn.ID), nil, http.StatusOK,
					[]string{"object_sync.update", `"fields":"email=email, firstname=firstname"`}},
				{admin, "DELETE", path, nil, http.StatusNoContent, nil},
				{admin, "DELETE", path, nil, http.StatusNotFound, nil},
				{admin, "GET", fmt.Sprintf("/api/v1/connections/%d/syncs", tb.conn.ID), nil, http.StatusOK, []string{`{"results":[]}`}},
				{admin, "GET", "/api/v1/audit?target_type=connection&target_id=" + fmt.Sprint(tb.conn.ID), nil, http.StatusOK,
					[]string{"object_sync.remove", `"links":"0"`}},
			} {
				r := tb.b.AdminDo(t, c.email, c.method, c.path, c.body)
				status, body := r.Status, string(r.Body)
				if status != c.status {
					t.Errorf("%s %s %v by %s: %d %s, want %d", c.method, c.path, c.body, c.email, status, body, c.status)
					continue
				}
				for _, s := range c.contains {
					if !strings.Contains(body, s) {
						t.Errorf("%s %s %v: %s lacks %s", c.method, c.path, c.body, body, s)
					}
				}
			}
		})
	}
}

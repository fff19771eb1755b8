package api_test

import (
	"slices"
	"strings"
	"testing"
)

func (tb *testBundle) createProperty(t *testing.T, objectType string, def map[string]any) map[string]any {
	t.Helper()
	return decode[map[string]any](t, tb.do(t, "POST", "/crm/v3/properties/"+objectType, def), 201)
}

func TestDatetimeCustomProperty(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"epoch milliseconds", "1764324000000", "2025-11-28T10:00:00.000Z"},
		{"epoch milliseconds as a JSON number", "", "2025-11-28T10:00:01.000Z"}, // sent as 1764324001000
		{"ISO in UTC", "2026-03-01T08:30:00Z", "2026-03-01T08:30:00.000Z"},
		{"ISO with fraction and offset", "2026-03-01T10:30:00.5+02:00", "2026-03-01T08:30:00.500Z"},
		{"ISO with milliseconds", "2026-03-02T00:00:00.123Z", "2026-03-02T00:00:00.123Z"},
	}
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		def := tb.createProperty(t, "deals", map[string]any{"name": "renewal_at", "label": "Renewal", "type": "datetime",
			"fieldType": "date", "groupName": "dealinformation"})
		if def["name"] != "renewal_at" || def["type"] != "datetime" {
			t.Fatalf("created property %v", def)
		}
		byWant := map[string]string{}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var v any = tt.in
				if tt.in == "" {
					v = 1764324001000
				}
				rec := tb.create(t, "deals", map[string]any{"dealname": tt.name, "renewal_at": v})
				if got := rec.prop("renewal_at"); got != tt.want {
					t.Errorf("create answered %q, want %q", got, tt.want)
				}
				if got := tb.get(t, "deals", rec.ID, "?properties=renewal_at").prop("renewal_at"); got != tt.want {
					t.Errorf("read %q, want %q", got, tt.want)
				}
				byWant[tt.want] = rec.ID
			})
		}
		e := wantError(t, tb.do(t, "POST", objects+"deals", map[string]any{"properties": map[string]any{"dealname": "x", "renewal_at": "next tuesday"}}),
			400, "VALIDATION_ERROR", "INVALID_PROPERTY_VALUE")
		wantMessage(t, e, "next tuesday", "renewal_at")
		// Search takes either form and compares as time.
		searches := []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			{"EQ epoch", filter("renewal_at", "EQ", "1764324000000"), []string{byWant["2025-11-28T10:00:00.000Z"]}},
			{"EQ ISO with offset", filter("renewal_at", "EQ", "2026-03-01T10:30:00.500+02:00"), []string{byWant["2026-03-01T08:30:00.500Z"]}},
			{"GTE ISO date", filter("renewal_at", "GTE", "2026-03-01T08:30:00.200Z"),
				[]string{byWant["2026-03-01T08:30:00.500Z"], byWant["2026-03-02T00:00:00.123Z"]}},
			{"LT epoch", filter("renewal_at", "LT", "1772353800000"), // 2026-03-01T08:30:00Z
				[]string{byWant["2025-11-28T10:00:00.000Z"], byWant["2025-11-28T10:00:01.000Z"]}},
		}
		for _, s := range searches {
			t.Run("search "+s.name, func(t *testing.T) {
				res := tb.search(t, "deals", map[string]any{"filterGroups": []any{s.filter}})
				got, want := ids(res.Results), slices.Clone(s.want)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("found %v, want %v", got, want)
				}
			})
		}
	})
}

func TestUniqueCustomProperty(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		def := tb.createProperty(t, "contacts", map[string]any{"name": "external_id", "label": "External ID", "type": "string",
			"fieldType": "text", "groupName": "contactinformation", "hasUniqueValue": true})
		if def["hasUniqueValue"] != true {
			t.Fatalf("created property %v, want hasUniqueValue true", def)
		}
		read := decode[map[string]any](t, tb.do(t, "GET", "/crm/v3/properties/contacts/external_id", nil), 200)
		if read["hasUniqueValue"] != true {
			t.Errorf("read property %v, want hasUniqueValue true", read)
		}
		first := tb.create(t, "contacts", map[string]any{"email": "first@example.com", "external_id": "A-1"})
		other := tb.create(t, "contacts", map[string]any{"email": "other@example.com", "external_id": "B-2"})

		t.Run("create with a taken value", func(t *testing.T) {
			before := tb.snapshot(t)
			e := wantError(t, tb.do(t, "POST", objects+"contacts", map[string]any{"properties": map[string]any{"external_id": "A-1"}}),
				409, "CONFLICT", "OBJECT_ALREADY_EXISTS")
			wantMessage(t, e, "external_id", first.ID)
			wantContext(t, e, "existingId", first.ID)
			if after := tb.snapshot(t); after != before {
				t.Errorf("refused create changed records:\nbefore %s\nafter  %s", before, after)
			}
		})
		t.Run("update to a taken value", func(t *testing.T) {
			e := wantError(t, tb.do(t, "PATCH", objects+"contacts/"+other.ID, map[string]any{"properties": map[string]any{"external_id": "A-1"}}),
				409, "CONFLICT", "OBJECT_ALREADY_EXISTS")
			wantMessage(t, e, first.ID)
			if got := tb.get(t, "contacts", other.ID, "?properties=external_id").prop("external_id"); got != "B-2" {
				t.Errorf("external_id %q after refused update, want B-2", got)
			}
		})
		t.Run("GET by idProperty", func(t *testing.T) {
			got := tb.get(t, "contacts", "A-1", "?idProperty=external_id&properties=email")
			if got.ID != first.ID || got.prop("email") != "first@example.com" {
				t.Errorf("got %s (%s), want %s", got.ID, got.prop("email"), first.ID)
			}
			wantError(t, tb.do(t, "GET", objects+"contacts/Z-9?idProperty=external_id", nil), 404, "OBJECT_NOT_FOUND", "OBJECT_NOT_FOUND")
		})
		t.Run("PATCH by idProperty", func(t *testing.T) {
			r := tb.do(t, "PATCH", objects+"contacts/B-2?idProperty=external_id", map[string]any{"properties": map[string]any{"firstname": "Other"}})
			if got := decode[record](t, r, 200); got.ID != other.ID {
				t.Errorf("patched %s, want %s", got.ID, other.ID)
			}
		})
		t.Run("batch read by idProperty", func(t *testing.T) {
			res := decode[batchBody](t, tb.do(t, "POST", objects+"contacts/batch/read", map[string]any{"idProperty": "external_id",
				"inputs": []any{map[string]any{"id": "B-2"}, map[string]any{"id": "A-1"}}}), 200)
			if got := ids(res.Results); !slices.Equal(got, []string{other.ID, first.ID}) {
				t.Errorf("batch read %v, want [%s %s]", got, other.ID, first.ID)
			}
		})
		t.Run("idProperty that is not unique", func(t *testing.T) {
			e := wantError(t, tb.do(t, "GET", objects+"contacts/Other?idProperty=firstname", nil), 400, "VALIDATION_ERROR", "INVALID_PROPERTY_VALUE")
			wantMessage(t, e, "firstname")
		})
	})
}

// TestPropertyUpdateArchiveRestore changes a custom property as HubSpot's
// PATCH does, archives it with DELETE (it leaves lists, reads, writes and
// searches; its values stay stored), lists it with archived=true, and
// restores it by creating it again: its values come back.
func TestPropertyUpdateArchiveRestore(t *testing.T) {
	eachBackend(t, func(t *testing.T, tb *testBundle) {
		const props = "/crm/v3/properties/contacts"
		def := map[string]any{"name": "tier", "label": "Tier", "type": "enumeration", "fieldType": "select", "groupName": "contactinformation",
			"options": []any{map[string]any{"label": "Gold", "value": "gold"}}}
		tb.createProperty(t, "contacts", def)

		// PATCH: label and options change, the rest stays.
		upd := decode[map[string]any](t, tb.do(t, "PATCH", props+"/tier", map[string]any{"label": "Customer tier",
			"options": []any{map[string]any{"label": "Gold", "value": "gold"}, map[string]any{"label": "Silver", "value": "silver", "displayOrder": 1}}}), 200)
		if upd["label"] != "Customer tier" || upd["type"] != "enumeration" || upd["groupName"] != "contactinformation" || len(upd["options"].([]any)) != 2 {
			t.Fatalf("PATCH answered %v", upd)
		}
		rec := tb.create(t, "contacts", map[string]any{"email": "tiered@example.com", "tier": "silver"})

		for _, bad := range []struct {
			method, path string
			body         any
			status       int
			category     string
		}{
			{"PATCH", props + "/tier", map[string]any{"fieldType": "text"}, 400, "VALIDATION_ERROR"},
			{"PATCH", props + "/tier", map[string]any{"type": "string", "fieldType": "text"}, 409, "CONFLICT"}, // records hold values
			{"PATCH", props + "/email", map[string]any{"label": "Mail"}, 400, "VALIDATION_ERROR"},              // HubSpot-defined
			{"PATCH", props + "/nope", map[string]any{"label": "x"}, 404, "OBJECT_NOT_FOUND"},
			{"DELETE", props + "/email", nil, 400, "VALIDATION_ERROR"},
			{"DELETE", props + "/nope", nil, 404, "OBJECT_NOT_FOUND"},
		} {
			if r := tb.do(t, bad.method, bad.path, bad.body); r.Status != bad.status || !strings.Contains(string(r.Body), bad.category) {
				t.Errorf("%s %s %v: %d %s, want %d %s", bad.method, bad.path, bad.body, r.Status, r.Body, bad.status, bad.category)
			}
		}

		// DELETE archives.
		if r := tb.do(t, "DELETE", props+"/tier", nil); r.Status != 204 {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		if r := tb.do(t, "DELETE", props+"/tier", nil); r.Status != 204 {
			t.Errorf("DELETE of an archived property: %d %s", r.Status, r.Body)
		}
		listed := func(archived string) []string {
			t.Helper()
			body := decode[struct{ Results []map[string]any }](t, tb.do(t, "GET", props+archived, nil), 200)
			var names []string
			for _, p := range body.Results {
				names = append(names, p["name"].(string))
			}
			return names
		}
		if slices.Contains(listed(""), "tier") || !slices.Equal(listed("?archived=true"), []string{"tier"}) {
			t.Errorf("after archiving: live %v, archived %v", listed(""), listed("?archived=true"))
		}
		wantError(t, tb.do(t, "GET", props+"/tier", nil), 404, "OBJECT_NOT_FOUND", "PROPERTY_DOESNT_EXIST")
		arch := decode[map[string]any](t, tb.do(t, "GET", props+"/tier?archived=true", nil), 200)
		if arch["archived"] != true || arch["archivedAt"] == nil {
			t.Errorf("archived property reads %v", arch)
		}
		if got := tb.get(t, "contacts", rec.ID, "?properties=tier,email").prop("tier"); got == "silver" {
			t.Errorf("a read shows the archived property's value")
		}
		wantError(t, tb.do(t, "PATCH", objects+"contacts/"+rec.ID, map[string]any{"properties": map[string]any{"tier": "gold"}}),
			400, "VALIDATION_ERROR", "PROPERTY_DOESNT_EXIST")
		wantError(t, tb.do(t, "POST", objects+"contacts/search", map[string]any{"filterGroups": []any{filter("tier", "EQ", "silver")}}),
			400, "VALIDATION_ERROR", "INVALID_FILTER")
		wantError(t, tb.do(t, "PATCH", props+"/tier", map[string]any{"label": "x"}), 404, "OBJECT_NOT_FOUND", "PROPERTY_DOESNT_EXIST")

		// Creating it again with another type is refused; with its type it
		// is restored, and its values come back.
		wantError(t, tb.do(t, "POST", props, map[string]any{"name": "tier", "label": "Tier", "type": "string", "fieldType": "text",
			"groupName": "contactinformation"}), 409, "CONFLICT", "PROPERTY_EXISTS")
		back := tb.createProperty(t, "contacts", def)
		if back["archived"] != false || back["label"] != "Tier" {
			t.Errorf("restored property %v", back)
		}
		if got := tb.get(t, "contacts", rec.ID, "?properties=tier").prop("tier"); got != "silver" {
			t.Errorf("after restoring, tier reads %q, want silver", got)
		}
		if !slices.Contains(listed(""), "tier") || len(listed("?archived=true")) != 0 {
			t.Errorf("after restoring: live %v, archived %v", listed(""), listed("?archived=true"))
		}

		// Batch archive: 204 whatever the state, unknown names included.
		if r := tb.do(t, "POST", props+"/batch/archive", map[string]any{"inputs": []any{map[string]any{"name": "tier"}, map[string]any{"name": "nope"}}}); r.Status != 204 {
			t.Errorf("batch archive: %d %s", r.Status, r.Body)
		}
		if slices.Contains(listed(""), "tier") {
			t.Errorf("batch archive left tier live")
		}
	})
}

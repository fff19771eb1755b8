package api_test

import (
	"slices"
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

package cli_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// users update --dry-run says which connections the change would degrade
// and saves nothing.
func TestUsersUpdateDryRun(t *testing.T) {
	b := setup(t)
	b.user(t, "ann@example.com", "--perm", "contacts=edit")
	b.must(t, "", "integrations", "create", "--name", "billing-db", "--provider", "postgres", "--auth", "password")
	dbURL, table, _ := b.table(t, "people")
	anns := b.postgresConnection(t, "ann's sync", dbURL, table, "ann@example.com")

	out := b.must(t, "", "users", "update", "ann@example.com", "--perm", "contacts=view", "--dry-run")
	if !strings.Contains(out, "would lose: contacts") || !regexp.MustCompile(`(?m)^\d+\s+ann's sync\s+connector\s+degraded\s+The connector user lost`).MatchString(out) {
		t.Errorf("users update --dry-run:\n%s", out)
	}
	var preview struct {
		DryRun   bool `json:"dry_run"`
		Degraded []struct {
			Connection struct{ ID int64 }
			Reason     string
		}
	}
	if err := json.Unmarshal([]byte(b.must(t, "", "users", "update", "ann@example.com", "--perm", "contacts=view", "--dry-run", "--output", "json")), &preview); err != nil {
		t.Fatal(err)
	}
	if !preview.DryRun || len(preview.Degraded) != 1 || preview.Degraded[0].Connection.ID != anns.ID || preview.Degraded[0].Reason != "connector_permissions_reduced" {
		t.Errorf("users update --dry-run --output json: %+v", preview)
	}
	if c := b.show(t, anns.ID); c.Status != "active" {
		t.Errorf("the dry run changed the connection: %+v", c)
	}
	if list := b.must(t, "", "users", "list"); !regexp.MustCompile(`(?m)^\d+\s+ann@example\.com\s+member\s+active\s+edit\s`).MatchString(list) {
		t.Errorf("the dry run saved the permissions:\n%s", list)
	}
}

package cli_test

import (
	"strings"
	"testing"
)

// review mark records who reviewed a connection, review shows it, review
// interval sets the setting, and connections attention says what needs a
// person.
func TestReviewMarkAndAttentionFromTheCommandLine(t *testing.T) {
	b := setup(t)
	b.user(t, "ann@example.com", "--perm", "contacts=edit")
	dbURL, table := b.billingDB(t)
	b.postgresConnection(t, "billing", dbURL, table, "ann@example.com")

	var mark struct {
		ConnectionID int64  `json:"connection_id"`
		ReviewedBy   string `json:"reviewed_by"`
		Note         string `json:"note"`
	}
	decodeJSON(t, b.must(t, "", "review", "mark", "1", "--note", "ann still uses it"), &mark)
	if mark.ConnectionID != 1 || mark.ReviewedBy != "cli" || mark.Note != "ann still uses it" {
		t.Errorf("review mark: %+v", mark)
	}
	var rows []struct {
		LastReviewedBy string  `json:"last_reviewed_by"`
		LastReviewedAt *string `json:"last_reviewed_at"`
		Flags          []string
	}
	decodeJSON(t, b.must(t, "", "review", "--output", "json"), &rows)
	if len(rows) != 1 || rows[0].LastReviewedBy != "cli" || rows[0].LastReviewedAt == nil {
		t.Errorf("review --output json after mark: %+v", rows)
	}
	if errOut := b.fails(t, "", "review", "mark", "9"); !strings.Contains(errOut, "not found") {
		t.Errorf("review mark of an unknown connection: %q", errOut)
	}

	if out := b.must(t, "", "review", "interval"); !strings.Contains(out, "90 days") {
		t.Errorf("review interval: %q", out)
	}
	if out := b.must(t, "", "review", "interval", "30"); !strings.Contains(out, "30 days") {
		t.Errorf("review interval 30: %q", out)
	}
	if errOut := b.fails(t, "", "review", "interval", "0"); !strings.Contains(errOut, "1 to 3650 days") {
		t.Errorf("review interval 0: %q", errOut)
	}

	if out := b.must(t, "", "connections", "list", "--status", "active", "--owner", "ann@example.com", "--name", "BILL"); !strings.Contains(out, "billing") {
		t.Errorf("connections list filtered to it: %q", out)
	}
	if out := b.must(t, "", "connections", "list", "--status", "paused"); strings.Contains(out, "billing") {
		t.Errorf("connections list --status paused lists an active one: %q", out)
	}
	if errOut := b.fails(t, "", "connections", "list", "--status", "sleeping"); !strings.Contains(errOut, "status must be one of") {
		t.Errorf("connections list --status sleeping: %q", errOut)
	}

	// ann is a member: the connection's owner should be an admin.
	out := b.must(t, "", "connections", "attention")
	for _, want := range []string{"1 connection(s): 1 active", "billing", "Its owner ann@example.com is a member, not an admin.",
		"Transfer it to an admin-level user"} {
		if !strings.Contains(out, want) {
			t.Errorf("connections attention lacks %q:\n%s", want, out)
		}
	}
}

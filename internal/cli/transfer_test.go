package cli_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTransferSetsTheMaintainer: review flags a maintainer who left; a
// transfer hands their maintenance to the new owner, or to whom
// --maintainer names.
func TestTransferSetsTheMaintainer(t *testing.T) {
	b := setup(t)
	b.user(t, "ann@example.com", "--perm", "contacts=edit")
	bobID := b.user(t, "bob@example.com", "--role", "admin")
	carlID := b.user(t, "carl@example.com", "--perm", "contacts=edit")
	dbURL, table := b.billingDB(t)
	id := strconv.FormatInt(b.postgresConnection(t, "ann's sync", dbURL, table, "ann@example.com").ID, 10)
	b.must(t, "", "users", "remove", "ann@example.com", "--force")

	var rows []struct {
		Maintainer       string
		MaintainerStatus string `json:"maintainer_status"`
		Flags            []string
	}
	decodeJSON(t, b.must(t, "", "review", "--json"), &rows)
	if len(rows) != 1 || rows[0].Maintainer != "ann@example.com" || rows[0].MaintainerStatus != "removed" ||
		!slices.Contains(rows[0].Flags, "maintainer_departed") {
		t.Fatalf("review --json after the maintainer left: %+v", rows)
	}

	var v struct {
		OwnerID      int64 `json:"owner_id"`
		MaintainerID int64 `json:"maintainer_id"`
	}
	decodeJSON(t, b.must(t, "", "connections", "transfer", id, "--to", "bob@example.com"), &v)
	if v.OwnerID != bobID || v.MaintainerID != bobID {
		t.Errorf("transfer from a removed user: %+v, want bob (%d) as owner and maintainer", v, bobID)
	}
	decodeJSON(t, b.must(t, "", "connections", "transfer", id, "--maintainer", "carl@example.com"), &v)
	if v.OwnerID != bobID || v.MaintainerID != carlID {
		t.Errorf("transfer --maintainer: %+v, want bob (%d) and carl (%d)", v, bobID, carlID)
	}
	if errOut := b.fails(t, "", "connections", "transfer", id, "--maintainer", "ann@example.com"); !strings.Contains(errOut, "no user") {
		t.Errorf("a removed user as maintainer: %q", errOut)
	}
}

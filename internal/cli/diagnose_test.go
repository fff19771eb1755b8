package cli_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// billingDB makes a table and the postgres integration "billing-db".
func (b *testBundle) billingDB(t *testing.T) (dbURL, table string) {
	t.Helper()
	dbURL, table, _ = b.table(t, "people")
	b.must(t, "", "integrations", "create", "--name", "billing-db", "--provider", "postgres", "--auth", "password")
	return dbURL, table
}

// TestDiagnoseExitCodeFollowsTheStatus: a connection held on the hub's
// side (its connector user changed their password) fails diagnose with a
// non-zero exit although the database still accepts its URL; a paused one
// warns and exits 0.
func TestDiagnoseExitCodeFollowsTheStatus(t *testing.T) {
	b := setup(t)
	b.user(t, "ann@example.com", "--perm", "contacts=edit")
	b.user(t, "bob@example.com", "--role", "admin")
	dbURL, table := b.billingDB(t)
	anns := strconv.FormatInt(b.postgresConnection(t, "ann's sync", dbURL, table, "ann@example.com").ID, 10)
	bobs := strconv.FormatInt(b.postgresConnection(t, "bob's sync", dbURL, table, "bob@example.com").ID, 10)

	b.must(t, "another long password\n", "users", "update", "ann@example.com", "--password-stdin")
	code, out, errOut := b.run(t, "", "connections", "diagnose", anns)
	if code == 0 || !strings.Contains(errOut, "fails its checklist") ||
		!regexp.MustCompile(`(?m)^FAIL\s+status\s+The connector user ann@example.com changed their password.* Next: Reconnect`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^PASS\s+external_credential\s`).MatchString(out) || !strings.Contains(out, "Verdict: FAIL. Next step: Reconnect") {
		t.Errorf("diagnose of a connection held by a password change: exit %d\n%s%s", code, out, errOut)
	}

	b.must(t, "", "connections", "pause", bobs)
	code, out, errOut = b.run(t, "", "connections", "diagnose", bobs)
	if code != 0 || !regexp.MustCompile(`(?m)^WARN\s+status\s+The connection was paused by cli\.`).MatchString(out) || !strings.Contains(out, "Verdict: WARN.") {
		t.Errorf("diagnose of a paused connection: exit %d\n%s%s", code, out, errOut)
	}
}

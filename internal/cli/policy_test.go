package cli_test

import (
	"strings"
	"testing"
)

// Setting a policy from the command line changes it and is audited as the
// command line's doing, with the value before and after.
func TestPolicySetIsAudited(t *testing.T) {
	b := setup(t)
	if out := b.must(t, "", "policy", "set", "oauth.revoke_on_credentials_change", "false"); out != "oauth.revoke_on_credentials_change = false\n" {
		t.Errorf("policy set: %q", out)
	}
	if out := b.must(t, "", "policy", "get", "oauth.revoke_on_credentials_change"); out != "false\n" {
		t.Errorf("policy get after set: %q", out)
	}
	b.fails(t, "", "policy", "set", "oauth.no_such_policy", "true")
	got := b.must(t, "", "audit", "--action", "policy.set")
	if !strings.Contains(got, "cli") || !strings.Contains(got, "value: true → false") || strings.Count(got, "policy.set") != 1 {
		t.Errorf("audit of the policy change:\n%s", got)
	}
}

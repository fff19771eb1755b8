package cli_test

import (
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/cli"
)

// TestEveryListAndShowTakesOutput runs every list and show command as a
// table (the default) and with --output json, and the old --json where a
// command had it.
func TestEveryListAndShowTakesOutput(t *testing.T) {
	b := setup(t)
	b.user(t, "ann@example.com", "--perm", "contacts=edit")
	dbURL, table := b.billingDB(t)
	b.postgresConnection(t, "billing", dbURL, table, "ann@example.com")
	b.must(t, "", "private-apps", "create", "--name", "script", "--scopes", "crm.objects.contacts.read")
	b.must(t, "", "apps", "create", "--name", "Billing", "--redirect-uri", "http://127.0.0.1:9/cb", "--scopes", "crm.objects.contacts.read")
	b.must(t, "", "webhooks", "create", "--url", "https://example.com/hook")

	commands := []struct {
		args    []string
		oldJSON bool // had --json before --output
	}{
		{[]string{"users", "list"}, true}, {[]string{"users", "impact", "ann@example.com"}, true},
		{[]string{"private-apps", "list"}, true}, {[]string{"apps", "list"}, true}, {[]string{"apps", "show", "1"}, false},
		{[]string{"grants", "list"}, true},
		{[]string{"integrations", "list"}, true}, {[]string{"connections", "list"}, true},
		{[]string{"connections", "show", "1"}, false}, {[]string{"connections", "diagnose", "1"}, true},
		{[]string{"connections", "runs", "1"}, true}, {[]string{"connections", "errors", "1"}, true},
		{[]string{"connections", "health", "1"}, true},
		{[]string{"connections", "sync-config", "list", "1"}, true}, {[]string{"review"}, true}, {[]string{"audit"}, true},
		{[]string{"connections", "attention"}, true},
		{[]string{"webhooks", "list"}, true}, {[]string{"keys", "list"}, true}, {[]string{"tokens", "list"}, false},
	}
	root := cli.NewRoot(strings.NewReader(""), io.Discard, io.Discard)
	covered := map[string]bool{}
	for _, c := range commands {
		if cmd, _, err := root.Find(c.args); err == nil {
			covered[cmd.CommandPath()] = true
		}
	}
	for _, name := range readingCommands(root) {
		if !covered[name] {
			t.Errorf("%s lists or shows something but is not checked here", name)
		}
	}
	for _, c := range commands {
		name := strings.Join(c.args, " ")
		asJSON := b.must(t, "", append(c.args, "--output", "json")...)
		if !json.Valid([]byte(asJSON)) {
			t.Errorf("%s --output json is not JSON:\n%s", name, asJSON)
		}
		for _, args := range [][]string{c.args, append(c.args, "--output", "table"), append([]string{"-o", "table"}, c.args...)} {
			if out := b.must(t, "", args...); json.Valid([]byte(out)) || strings.TrimSpace(out) == "" {
				t.Errorf("%s as a table:\n%s", strings.Join(args, " "), out)
			}
		}
		if !c.oldJSON {
			continue
		}
		code, out, errOut := b.run(t, "", append(c.args, "--json")...)
		if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(errOut, "--output json") {
			t.Errorf("%s --json: exit %d, %q\n%s", name, code, errOut, out)
		}
	}
	// policy get prints the bare value, which scripts read, or JSON.
	if out := b.must(t, "", "policy", "get", "oauth.revoke_on_credentials_change"); out != "true\n" {
		t.Errorf("policy get: %q", out)
	}
	var policy struct {
		Policy string
		Value  bool
	}
	decodeJSON(t, b.must(t, "", "policy", "get", "oauth.revoke_on_credentials_change", "--output", "json"), &policy)
	if policy.Policy != "oauth.revoke_on_credentials_change" || !policy.Value {
		t.Errorf("policy get --output json: %+v", policy)
	}
	if errOut := b.fails(t, "", "users", "list", "--output", "yaml"); !strings.Contains(errOut, `--output "yaml": use json or table`) {
		t.Errorf("--output yaml: %q", errOut)
	}
}

// TestConnectionsShowReadsLikeASummary checks the default show: status,
// people by email, integration, objects, syncs and the last run; and that
// --output json gives the same by name.
func TestConnectionsShowReadsLikeASummary(t *testing.T) {
	b := setupSync(t)
	b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts")
	var r runView
	decodeJSON(t, b.must(t, "", "connections", "sync-now", b.id, "--follow", "--output", "json"), &r)
	show := b.must(t, "", "connections", "show", b.id)
	for _, want := range []string{
		`^Connection ` + b.id + ` "crm"$`, `^Status:\s+active$`, `^Integration:\s+other-hub \(hubspot, private_app\)$`,
		`^Runs as:\s+ann@example\.com \(user mode`, `^Owner:\s+ann@example\.com$`, `^Objects:\s+contacts, companies, deals$`,
		`^Syncs:\s+contacts ↔ contacts \(two_way\)$`, `^Last run:\s+\d+ succeeded, started \S+ \(`,
		`^Created:\s+\S+ by the command line$`,
	} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(show) {
			t.Errorf("connections show lacks %s:\n%s", want, show)
		}
	}
	if strings.Contains(show, "owner_id") || strings.Contains(show, "{") {
		t.Errorf("connections show is not a summary:\n%s", show)
	}
	var v struct {
		ID          int64
		Owner       struct{ Email string }
		Integration struct{ Name, Provider string }
		Syncs       []struct {
			HubObject string `json:"hub_object"`
		}
		LastRun *runView `json:"last_run"`
	}
	decodeJSON(t, b.must(t, "", "connections", "show", b.id, "--output", "json"), &v)
	if v.Owner.Email != "ann@example.com" || v.Integration.Name != "other-hub" || len(v.Syncs) != 1 ||
		v.Syncs[0].HubObject != "contacts" || v.LastRun == nil || v.LastRun.ID < r.ID {
		t.Errorf("connections show --output json: %+v", v)
	}
}

// readingCommands are the leaf commands below c that list or show
// something, by their path ("hubsync connections runs").
func readingCommands(c *cobra.Command) []string {
	if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
		return nil
	}
	if !c.HasSubCommands() {
		verbs := []string{"list", "show", "impact", "diagnose", "runs", "errors", "review", "audit", "attention"}
		if slices.Contains(verbs, c.Name()) {
			return []string{c.CommandPath()}
		}
		return nil
	}
	var out []string
	for _, sub := range c.Commands() {
		out = append(out, readingCommands(sub)...)
	}
	return out
}

package cli_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// sync-config add|update --dry-run counts what the next run would create,
// update and leave out on each side, saves nothing, and refuses what
// saving would refuse.
func TestSyncConfigDryRunFromTheCommandLine(t *testing.T) {
	b := setupSync(t)
	b.local(t, func(h *hub.Hub) {
		createContact(t, h, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
		createContact(t, h, map[string]string{"email": "bob@example.com", "firstname": "Bob"})
	})
	createContact(t, b.ext.Hub, map[string]string{"email": "ada@example.com", "firstname": "Ada"})

	var p struct {
		HubRead int                                    `json:"hub_read"`
		AppRead int                                    `json:"app_read"`
		ToApp   struct{ Create, Update, Excluded int } `json:"to_app"`
		Matched int                                    `json:"matched"`
	}
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts", "--map", "email=email",
		"--map", "firstname=firstname", "--hub-filter", "firstname:neq:Bob", "--dry-run", "--output", "json"), &p)
	if p.HubRead != 2 || p.AppRead != 1 || p.ToApp.Create != 0 || p.ToApp.Excluded != 1 || p.Matched != 1 {
		t.Errorf("add --dry-run: %+v", p)
	}
	if list := b.must(t, "", "connections", "sync-config", "list", b.id, "--output", "json"); strings.TrimSpace(list) != "[]" {
		t.Fatalf("add --dry-run saved the sync: %s", list)
	}

	var o struct{ ID int64 }
	decodeJSON(t, b.must(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts", "--map", "email=email",
		"--map", "firstname=firstname"), &o)
	sync := strconv.FormatInt(o.ID, 10)
	b.must(t, "", "connections", "sync-now", b.id, "--follow")
	if errOut := b.fails(t, "", "connections", "sync-config", "add", b.id, "--object", "contacts", "--dry-run"); !strings.Contains(errOut, "already syncs contacts") {
		t.Errorf("add --dry-run of an object synced already: %q", errOut)
	}
	out := b.must(t, "", "connections", "sync-config", "update", b.id, sync, "--set-field", "lastname=lastname", "--dry-run")
	for _, want := range []string{"dry run of contacts with contacts (two_way): nothing was saved", "external (contacts)", "hub (contacts)"} {
		if !strings.Contains(out, want) {
			t.Errorf("update --dry-run printed no %q:\n%s", want, out)
		}
	}
	if errOut := b.fails(t, "", "connections", "sync-config", "update", b.id, sync, "--set-field", "lastname=last_nom", "--dry-run"); !strings.Contains(errOut, "last_nom") {
		t.Errorf("update --dry-run of a field the external hub lacks: %q", errOut)
	}
	if list := b.must(t, "", "connections", "sync-config", "list", b.id); strings.Contains(list, "lastname") {
		t.Fatalf("update --dry-run saved the change:\n%s", list)
	}
}

// connections create warns on standard error about a connector user the
// connection package advises against, keeping the JSON on standard output
// whole.
func TestConnectionsCreateWarnsAboutTheConnector(t *testing.T) {
	b := setupSync(t)
	token := b.ext.Token(t, hubtest.AllScopes...)
	b.secrets = append(b.secrets, token)
	b.user(t, "mem@example.com", "--role", "member", "--perm", "contacts=edit,companies=edit,deals=edit")
	code, out, errOut := b.run(t, token+"\n", "connections", "create", "--integration", "other-hub", "--name", "by a member",
		"--owner", "mem@example.com", "--credential-stdin")
	if code != 0 || !strings.Contains(errOut, "warning: mem@example.com is a member, not an admin") {
		t.Fatalf("create as a member: exit %d, stderr %q", code, errOut)
	}
	var c struct{ ID int64 }
	decodeJSON(t, out, &c)
	if c.ID == 0 {
		t.Fatalf("create as a member printed no connection: %s", out)
	}
	code, _, errOut = b.run(t, token+"\n", "connections", "create", "--integration", "other-hub", "--name", "by an admin",
		"--owner", "ann@example.com", "--credential-stdin")
	if code != 0 || strings.Contains(errOut, "warning") {
		t.Fatalf("create as an admin: exit %d, stderr %q", code, errOut)
	}
}

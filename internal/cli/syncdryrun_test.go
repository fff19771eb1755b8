package cli_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/hub"
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

package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/cli"
	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// demoRecords keeps the seed small: this many contacts, companies and
// deals on each hub.
const demoRecords = "8"

// demoArgs are the flags of a demo in dir on free ports.
func demoArgs(dir string, more ...string) []string {
	return append([]string{"demo", "--dir", dir, "--port", "0", "--acme-port", "0", "--records", demoRecords}, more...)
}

// TestDemoWalk plays "demo --walk" end to end on fresh data, then checks
// the hubs' data itself, not only what the walk said: the connection is
// active again, running as the second admin, and each side holds the
// records edited on the other while it was broken.
func TestDemoWalk(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	out := mustRun(t, demoArgs(dir, "--walk")...)
	wantInOrder(t, out,
		`seeded 8 contacts, 8 companies and 8 deals on each hub`,
		`connected our hub to Acme as connector@our.example, approved by admin@acme.example on Acme's consent page; connection "Acme CRM" is active`,
		`first sync succeeded`,
		`impact of removing connector@our.example: connector of "Acme CRM"`,
		`removed connector@our.example (forced); connection "Acme CRM" is needs_reconnect: The connector user connector@our.example was removed from the hub`,
		`the edits wait`,
		`reconnected as second@our.example, approved by admin@acme.example on Acme's consent page`,
		`catch-up run (`,
		`verified: Acme's 4 edits are in our hub and our hub's 4 edits are on Acme`,
		`Acme CRM holds 16 contacts, 16 companies, 16 deals`,
		`our hub holds 16 contacts, 16 companies, 16 deals`,
	)
	if !regexp.MustCompile(`(?m)^\[\+\d+\.\ds\] removed connector`).MatchString(out) {
		t.Errorf("the steps are not narrated with their timing:\n%s", out)
	}
	checkRepaired(t, dir)
}

// checkRepaired opens both hubs of a demo that walked and checks the
// story's outcome in their data.
func checkRepaired(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	ours := openDemoHub(t, filepath.Join(dir, "ours"))
	conns, err := ours.Connections.List(ctx)
	if err != nil || len(conns) != 1 {
		t.Fatalf("our hub has connections %v (%v), want one", conns, err)
	}
	second, err := ours.Identity.User(ctx, "second@our.example")
	if err != nil {
		t.Fatal(err)
	}
	if c := conns[0]; c.Status != connection.StatusActive || c.OwnerID != second.ID {
		t.Errorf("connection is %s (%s) running as %d, want active as the second admin %d", c.Status, c.ReasonMessage, c.OwnerID, second.ID)
	}
	acme := openDemoHub(t, filepath.Join(dir, "acme"))
	for _, side := range []struct {
		name string
		h    *hub.Hub
		want string
	}{{"our hub", ours, "Edited on Acme"}, {"Acme", acme, "Edited in our hub"}} {
		if n := countWith(t, side.h, "contacts", "jobtitle", side.want); n != 3 {
			t.Errorf("%s has %d contacts whose jobtitle says %q, want 3", side.name, n, side.want)
		}
		if n := countWith(t, side.h, "companies", "industry", side.want); n != 1 {
			t.Errorf("%s has %d companies whose industry says %q, want 1", side.name, n, side.want)
		}
	}
}

func openDemoHub(t *testing.T, dataDir string) *hub.Hub {
	t.Helper()
	h, err := hub.Open(context.Background(), config.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// countWith counts the records of object whose prop starts with prefix.
func countWith(t *testing.T, h *hub.Hub, object, prop, prefix string) int {
	t.Helper()
	recs, _, err := h.CRM.List(context.Background(), object, false, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if strings.HasPrefix(r.Props[prop], prefix) {
			n++
		}
	}
	return n
}

// TestDemoReusesAndResets: a run without --reset reuses the data (no new
// seed, the same people and connection) and sets the stage again, so the
// story plays again; --reset wipes the data and starts over.
func TestDemoReusesAndResets(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	mustRun(t, demoArgs(dir, "--walk")...)
	passwords := readSignIns(t, dir)

	// Served until interrupted, with the story to follow in the browser.
	out := serveDemo(t, demoArgs(dir)...)
	if strings.Contains(out, "seeded") || !strings.Contains(out, "reusing "+dir) {
		t.Errorf("a run without --reset did not reuse the data:\n%s", out)
	}
	wantInOrder(t, out,
		`connector@our.example was removed in an earlier run; they rejoin, as a new user`,
		`reconnected "Acme CRM" as connector@our.example again`,
		"connector@our.example  password "+passwords["connector@our.example"],
		"/home", "/connections/1 ", "/users/", "/remove",
		"Serving both hubs; press Ctrl-C to stop.")

	// The stage set again, the story plays again on the same data.
	out = mustRun(t, demoArgs(dir, "--walk")...)
	wantInOrder(t, out, "reusing "+dir, `removed connector@our.example (forced)`, "verified:",
		"Acme CRM holds 16 contacts")
	if strings.Contains(out, "seeded") {
		t.Errorf("the second walk seeded again:\n%s", out)
	}
	checkRepaired(t, dir)

	out = serveDemo(t, demoArgs(dir, "--reset")...)
	if strings.Contains(out, "reusing") || !strings.Contains(out, "seeded 8 contacts") {
		t.Errorf("--reset did not start over:\n%s", out)
	}
	if again := readSignIns(t, dir); again["admin@our.example"] == passwords["admin@our.example"] {
		t.Errorf("--reset kept the old hub: the admin's password is still %s", again["admin@our.example"])
	}
}

// serveDemo runs an interactive demo until it says it serves, checks both
// hubs answer, interrupts it and returns what it printed.
func serveDemo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &hubtest.SyncBuffer{}
	errOut := &hubtest.SyncBuffer{}
	done := make(chan int, 1)
	go func() { done <- cli.Execute(ctx, args, strings.NewReader(""), out, errOut) }()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), "press Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("demo exited %d before serving: %s\n%s", code, out.String(), errOut.String())
		case <-deadline:
			t.Fatalf("demo did not start serving: %s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, name := range []string{"Our hub", "Acme CRM"} {
		m := regexp.MustCompile(name + `\s+(http://\S+)`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no URL printed for %s:\n%s", name, out.String())
		}
		resp, err := http.Get(m[1] + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s /healthz: %d", name, resp.StatusCode)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d after Ctrl-C: %s", code, errOut.String())
	}
	return out.String()
}

func readSignIns(t *testing.T, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "sign-ins.json"))
	if err != nil {
		t.Fatal(err)
	}
	var people []struct{ Email, Password string }
	if err := json.Unmarshal(data, &people); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range people {
		out[p.Email] = p.Password
	}
	return out
}

// TestDemoResetKeepsOtherDirectories: --reset deletes only a demo's own
// directory, so a mistyped --dir cannot wipe anything else.
func TestDemoResetKeepsOtherDirectories(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", demoArgs(dir, "--reset")...)
	if code == 0 || !strings.Contains(errOut, "notes.txt") {
		t.Fatalf("--reset on a directory the demo did not make: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(notes); err != nil {
		t.Fatalf("--reset deleted another file: %v", err)
	}
}

// wantInOrder fails unless out holds each of wants, in this order.
func wantInOrder(t *testing.T, out string, wants ...string) {
	t.Helper()
	rest := out
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q (after the earlier steps):\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}

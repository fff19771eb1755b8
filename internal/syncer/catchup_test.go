package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/syncer"
)

// seed creates n contacts on env in batches, emails prefix-i@example.com.
func seed(t *testing.T, env *hubtest.Env, prefix string, n int) {
	t.Helper()
	for start := 0; start < n; start += crm.MaxBatch {
		var batch []map[string]string
		for i := start; i < min(start+crm.MaxBatch, n); i++ {
			batch = append(batch, map[string]string{"email": fmt.Sprintf("%s-%d@example.com", prefix, i), "firstname": "v0"})
		}
		if _, err := env.Hub.CRM.BatchCreate(context.Background(), "test", "contacts", batch); err != nil {
			t.Fatal(err)
		}
	}
}

// editAll sets firstname on every contact of env whose email starts with
// prefix, in batches.
func editAll(t *testing.T, env *hubtest.Env, prefix, value string) int {
	t.Helper()
	var inputs []crm.Input
	for email, props := range byEmail(t, env) {
		if strings.HasPrefix(email, prefix) {
			inputs = append(inputs, crm.Input{ID: props["hs_object_id"], Properties: map[string]string{"firstname": value}})
		}
	}
	for start := 0; start < len(inputs); start += crm.MaxBatch {
		if _, _, err := env.Hub.CRM.BatchUpdate(context.Background(), "test", "contacts", inputs[start:min(start+crm.MaxBatch, len(inputs))]); err != nil {
			t.Fatal(err)
		}
	}
	return len(inputs)
}

func TestBreakAndCatchUp(t *testing.T) {
	t.Parallel()
	const n = 1000
	tb := setupConnection(t, hubtest.SQLite, syncer.ObjectSyncInput{}, connection.NewConnection{Owner: "connector@b.example"})
	ctx := context.Background()
	seed(t, tb.a, "a", n)
	seed(t, tb.b, "b", n)
	tb.run(t)
	if a, b := byEmail(t, tb.a), byEmail(t, tb.b); len(a) != 2*n || len(b) != 2*n {
		t.Fatalf("initial sync: A has %d, B has %d, want %d each", len(a), len(b), 2*n)
	}

	if _, err := tb.b.Hub.Identity.Remove(ctx, "connector@b.example"); err != nil {
		t.Fatal(err)
	}
	if err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "schedule"); !errors.Is(err, connection.ErrHeld) {
		t.Fatalf("a run while the connection needs reconnecting: %v", err)
	}
	if editAll(t, tb.a, "a-", "editedOnA") != n || editAll(t, tb.b, "b-", "editedOnB") != n {
		t.Fatal("edits missed records")
	}
	// Conflicts too: the same field of the first 100 records edited on
	// both sides, B later; most_recent must take B's.
	conflicted := conflict(t, tb, 100)
	other := tb.b.User(t, "other@b.example", identity.RoleAdmin, nil)
	started, err := tb.b.Hub.Connections.Reconnect(ctx, tb.admin, tb.conn.ID, connection.Reconnection{Owner: other.Email})
	if err != nil {
		t.Fatal(err)
	}
	browser := tb.a.Browser()
	back := browser.Consent(t, started.AuthorizeURL, "approver@a.example")
	if status, _, page := browser.Page(t, "GET", back.String(), nil); status != 200 {
		t.Fatalf("reconnect callback: %d %s", status, page)
	}
	run := tb.run(t)
	for _, env := range []*hubtest.Env{tb.a, tb.b} {
		got := byEmail(t, env)
		if len(got) != 2*n {
			t.Fatalf("%d contacts after catch-up, want %d", len(got), 2*n)
		}
		for email, props := range got {
			want := "editedOnA"
			if strings.HasPrefix(email, "b-") {
				want = "editedOnB"
			}
			if props["firstname"] != want {
				t.Fatalf("%s has firstname %q after catch-up, want %q (run %v)", email, props["firstname"], want, run.Counts)
			}
			if conflicted[email] && props["lastname"] != "fromB" {
				t.Fatalf("%s: the conflict took %q, want B's later edit", email, props["lastname"])
			}
		}
	}
	if run.Counts["contacts.to_app.conflicts"]+run.Counts["contacts.to_hub.conflicts"] < 100 {
		t.Fatalf("the catch-up counted %v conflicts, want at least 100", run.Counts)
	}
}

// conflict edits lastname of n "a-" contacts on A, then on B.
func conflict(t *testing.T, tb *testBundle, n int) map[string]bool {
	t.Helper()
	onA, onB := byEmail(t, tb.a), byEmail(t, tb.b)
	emails := map[string]bool{}
	var aIn, bIn []crm.Input
	for i := range n {
		email := fmt.Sprintf("a-%d@example.com", i)
		emails[email] = true
		aIn = append(aIn, crm.Input{ID: onA[email]["hs_object_id"], Properties: map[string]string{"lastname": "fromA"}})
		bIn = append(bIn, crm.Input{ID: onB[email]["hs_object_id"], Properties: map[string]string{"lastname": "fromB"}})
	}
	ctx := context.Background()
	if _, _, err := tb.a.Hub.CRM.BatchUpdate(ctx, "test", "contacts", aIn); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // B's edits are the later ones
	if _, _, err := tb.b.Hub.CRM.BatchUpdate(ctx, "test", "contacts", bIn); err != nil {
		t.Fatal(err)
	}
	return emails
}

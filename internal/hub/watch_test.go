package hub_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/syncer"
)

// A connection to another hubsync is watched, not polled: with polling
// set to once an hour, a create, an update and an archive on A still
// reach B while B runs in the background, because B waits on A's change
// listing and A answers it when its feed moves.
func TestWatchedConnectionFollowsChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := hubtest.New(t, hubtest.SQLite)
	b := hubtest.New(t, hubtest.SQLite)
	in, err := b.Hub.Connections.CreateIntegration(ctx, audit.CLI, connection.NewIntegration{Name: "hub-a", Provider: "hubspot",
		AuthKind: connection.AuthPrivateApp, Settings: connection.ProviderSettings("hubspot", a.URL, nil)})
	if err != nil {
		t.Fatal(err)
	}
	started, err := b.Hub.Connections.Create(ctx, audit.CLI, connection.NewConnection{Integration: in.Name, Name: "B to A",
		AuthMode: connection.ModeApp, Objects: []string{"contacts"}, Credential: connector.Credential{APIKey: a.Token(t, hubtest.AllScopes...)},
		Config: map[string]string{"poll_interval": "1h"}})
	if err != nil {
		t.Fatal(err)
	}
	id := started.Connection.ID
	if _, err := b.Hub.Syncer.AddObjectSync(ctx, audit.CLI, id, syncer.ObjectSyncInput{HubObject: "contacts", PropagateDeletes: true}); err != nil {
		t.Fatal(err)
	}
	// The first run reads A's listing from the start, so its cursor is one
	// a watcher can wait on.
	if err := b.Hub.Syncer.Run(ctx, id, "manual"); err != nil {
		t.Fatal(err)
	}
	bg, cancel := context.WithCancel(ctx)
	done := b.Hub.Background(bg)
	t.Cleanup(func() { cancel(); <-done })
	// Let the background's one poll on start pass; the next is an hour off.
	time.Sleep(time.Second)

	onB := func(email string) (firstname string, live bool) {
		t.Helper()
		recs, _, err := b.Hub.CRM.List(ctx, "contacts", false, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Props["email"] == email {
				return r.Props["firstname"], true
			}
		}
		return "", false
	}
	await := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never reached B", what)
			}
		}
	}
	rec, err := a.Hub.CRM.Create(ctx, "test", "contacts", map[string]string{"email": "w@example.com", "firstname": "One"})
	if err != nil {
		t.Fatal(err)
	}
	await("a create", func() bool { name, live := onB("w@example.com"); return live && name == "One" })
	if _, err := a.Hub.CRM.Update(ctx, "test", "contacts", itoa(rec.ID), "", map[string]string{"firstname": "Two"}); err != nil {
		t.Fatal(err)
	}
	await("an update", func() bool { name, _ := onB("w@example.com"); return name == "Two" })
	if err := a.Hub.CRM.Archive(ctx, "test", "contacts", itoa(rec.ID)); err != nil {
		t.Fatal(err)
	}
	await("an archive", func() bool { _, live := onB("w@example.com"); return !live })
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// BenchmarkConnectionPages measures each tab of a connection's page (the
// whole request, signed in) for a connection that ran every minute for a
// week, with a hundred failing records.
func BenchmarkConnectionPages(b *testing.B) {
	ctx := context.Background()
	p := webtest.NewPair(b, hubtest.SQLite)
	conn := p.Connect(b, connection.NewConnection{Owner: p.Connector.Email, Objects: []string{"contacts"}})
	os, err := p.Ours.Hub.Syncer.AddObjectSync(ctx, p.Admin, conn.ID, syncer.ObjectSyncInput{HubObject: "contacts"})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().Add(-syncer.HealthWindow)
	err = p.Ours.Hub.Store.Update(ctx, func(tx store.Tx) error {
		for i := range int(syncer.HealthWindow / time.Minute) {
			at := start.Add(time.Duration(i) * time.Minute)
			if _, err := tx.CreateSyncRun(ctx, store.SyncRun{ConnectionID: conn.ID, Trigger: "schedule", Status: "succeeded",
				StartedAt: at, FinishedAt: at.Add(time.Second), Counts: map[string]int{"contacts.to_app.read": 3,
					"contacts.to_app.updated": 2, "contacts.to_hub.skipped_filter": 1}}); err != nil {
				return err
			}
		}
		for i := range 100 {
			if _, err := tx.PutRecordError(ctx, store.RecordError{SyncID: os.ID, Side: store.SideApp, ExternalID: fmt.Sprint("x", i),
				Reason: fmt.Sprint("reason_", i%4), Message: "refused", CreatedAt: start, UpdatedAt: start}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	browser := p.Ours.Browser()
	browser.SignIn(b, p.Second.Email)
	for _, tab := range []string{"", "/status/part", "/health", "/activity", "/activity/part", "/audit"} {
		path := fmt.Sprintf("/connections/%d%s", conn.ID, tab)
		name := strings.ReplaceAll(strings.TrimPrefix(tab, "/"), "/", "-")
		if name == "" {
			name = "status"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if status, _, body := browser.Page(b, http.MethodGet, path, nil); status != http.StatusOK {
					b.Fatalf("%s: %d\n%s", path, status, body)
				}
			}
		})
	}
}

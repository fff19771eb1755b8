package syncer_test

import (
	"context"
	"testing"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// counted is a dry run's counts, or a run's in the same terms.
type counted struct {
	appCreate, appUpdate, appExcluded, hubCreate, hubUpdate, hubExcluded, matched int
}

func previewCounts(p syncer.Preview) counted {
	return counted{p.ToApp.Create, p.ToApp.Update, p.ToApp.Excluded, p.ToHub.Create, p.ToHub.Update, p.ToHub.Excluded, p.Matched}
}

func runCounts(r store.SyncRun) counted {
	c := func(k string) int { return r.Counts["contacts."+k] }
	return counted{c("to_app.created"), c("to_app.updated"), c("to_app.skipped_filter"), c("to_hub.created"), c("to_hub.updated"),
		c("to_hub.skipped_filter"), c("to_app.matched") + c("to_hub.matched")}
}

// TestDryRunCountsWhatTheRunDoes: a dry run of a change counts what the run
// after the change then does (creates and updates on each side, records
// filters leave out, pairs made by the match key) and writes nothing: not
// the change, not a record, not a run. Once with filters added before the
// first run, once with changes on both sides after it.
func TestDryRunCountsWhatTheRunDoes(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			ctx := context.Background()
			tb := setup(t, backend, syncer.ObjectSyncInput{Mappings: fields("email=email", "firstname=firstname", "lastname=lastname")})
			id := tb.syncID(t)
			ada := create(t, tb.b, map[string]string{"email": "ada@example.com", "firstname": "Ada"})
			create(t, tb.b, map[string]string{"email": "bob@example.com", "firstname": "Bob"})
			create(t, tb.b, map[string]string{"email": "skip@example.com", "firstname": "Skip"})
			create(t, tb.a, map[string]string{"email": "ada@example.com", "lastname": "Lovelace"})
			create(t, tb.a, map[string]string{"email": "dee@example.com", "firstname": "Dee"})
			create(t, tb.a, map[string]string{"email": "zed@example.com", "firstname": "Zed"})

			notSkip := []store.Filter{{Property: "firstname", Operator: "neq", Value: "Skip"}}
			notZed := []store.Filter{{Property: "firstname", Operator: "neq", Value: "Zed"}}
			ch := syncer.ObjectSyncChange{HubFilters: &notSkip, AppFilters: &notZed}
			p, err := tb.b.Hub.Syncer.PreviewUpdate(ctx, tb.admin, tb.conn.ID, id, ch)
			if err != nil {
				t.Fatal(err)
			}
			// Bob to create on the app, Ada paired by email and completed on
			// both sides, Skip and Zed left out, Dee to create in the hub.
			if got, want := previewCounts(p), (counted{1, 1, 1, 1, 1, 1, 1}); got != want {
				t.Fatalf("dry run before the first run: %+v, want %+v", got, want)
			}
			if runs, _ := tb.b.Hub.Syncer.Runs(ctx, tb.conn.ID, 1); len(runs) != 0 || len(byEmail(t, tb.a)) != 3 {
				t.Fatalf("the dry run ran or wrote: %v", runs)
			}
			if os, _ := tb.b.Hub.Syncer.ObjectSyncs(ctx, tb.conn.ID); len(os[0].HubFilters) != 0 {
				t.Fatal("the dry run saved the change")
			}
			tb.change(t, id, ch)
			if got := runCounts(tb.run(t)); got != previewCounts(p) {
				t.Fatalf("the run did %+v, the dry run counted %+v", got, previewCounts(p))
			}

			// Changes on both sides: the dry run of a conflict rule change
			// (which keeps the cursors) counts what the next run delivers.
			update(t, tb.b, ada.ID, map[string]string{"firstname": "Adaline"})
			create(t, tb.a, map[string]string{"email": "eve@example.com", "firstname": "Eve"})
			rule := syncer.RuleHubWins
			ch = syncer.ObjectSyncChange{ConflictRule: &rule}
			if p, err = tb.b.Hub.Syncer.PreviewUpdate(ctx, tb.admin, tb.conn.ID, id, ch); err != nil {
				t.Fatal(err)
			}
			if got, want := previewCounts(p), (counted{0, 1, 1, 1, 0, 1, 0}); got != want {
				t.Fatalf("dry run after changes: %+v, want %+v", got, want)
			}
			tb.change(t, id, ch)
			r := tb.run(t)
			// A run reads only what changed, so it meets no left-out record
			// again; its writes are what the dry run counted.
			got, want := runCounts(r), previewCounts(p)
			got.appExcluded, got.hubExcluded, want.appExcluded, want.hubExcluded = 0, 0, 0, 0
			if got != want {
				t.Fatalf("the second run did %+v, the dry run counted %+v", got, want)
			}
		})
	}
}

package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

var errCrash = errors.New("injected crash")

// crasher fails the engine at one chosen point, once.
type crasher struct{ at atomic.Pointer[string] }

func (c *crasher) fault(point string) error {
	if p := c.at.Load(); p != nil && *p == point {
		c.at.Store(nil)
		return errCrash
	}
	return nil
}

// TestSyncConvergesDespiteCrashes interleaves random edits on both hubs with
// syncs that crash at random points and with breaks and reconnects, then
// checks that one clean sync leaves both hubs equal on every mapped field,
// with no record twice.
func TestSyncConvergesDespiteCrashes(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		c := &crasher{}
		tb := setupConnection(t, hubtest.SQLite, syncer.ObjectSyncInput{}, connection.NewConnection{AuthMode: connection.ModeApp},
			hub.WithSyncer(syncer.WithFault(c.fault)))
		ctx := context.Background()
		sides := map[string]*hubtest.Env{"A": tb.a, "B": tb.b}
		created := 0
		// writers[email/field] are the sides that wrote a field; last is the
		// value written last. A field only one side wrote must end with
		// that side's last value: no update is lost or reverted.
		writers := map[string]map[string]bool{}
		last := map[string]string{}
		write := func(side, email, field, value string) {
			k := email + "/" + field
			if writers[k] == nil {
				writers[k] = map[string]bool{}
			}
			writers[k][side], last[k] = true, value
		}
		steps := rapid.IntRange(1, 25).Draw(rt, "steps")
		for range steps {
			switch rapid.SampledFrom([]string{"create", "edit", "edit", "sync", "crash", "pause"}).Draw(rt, "action") {
			case "create":
				name := rapid.SampledFrom([]string{"A", "B"}).Draw(rt, "side")
				created++
				email, first := fmt.Sprintf("p%d@example.com", created), rapid.SampledFrom([]string{"", "x", "y"}).Draw(rt, "first")
				create(t, sides[name], map[string]string{"email": email, "firstname": first})
				write(name, email, "firstname", first)
			case "edit":
				name := rapid.SampledFrom([]string{"A", "B"}).Draw(rt, "side")
				side := sides[name]
				recs, _, err := side.Hub.CRM.List(ctx, "contacts", false, "", 100)
				if err != nil || len(recs) == 0 {
					continue
				}
				r := recs[rapid.IntRange(0, len(recs)-1).Draw(rt, "record")]
				field := rapid.SampledFrom([]string{"firstname", "lastname", "phone"}).Draw(rt, "field")
				value := rapid.SampledFrom([]string{"", "1", "2", "3"}).Draw(rt, "value")
				update(t, side, r.ID, map[string]string{field: value})
				write(name, r.Props["email"], field, value)
			case "sync":
				tb.run(t)
			case "crash":
				point := rapid.SampledFrom([]string{"before_app_write", "after_app_write", "in_hub_tx"}).Draw(rt, "point")
				c.at.Store(&point)
				err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "schedule")
				if err != nil && !errors.Is(err, errCrash) {
					t.Fatalf("run: %v", err)
				}
				c.at.Store(nil)
			case "pause":
				if _, err := tb.b.Hub.Connections.Pause(ctx, tb.admin, tb.conn.ID); err != nil {
					t.Fatal(err)
				}
				if err := tb.b.Hub.Syncer.Run(ctx, tb.conn.ID, "schedule"); !errors.Is(err, connection.ErrHeld) {
					t.Fatalf("a paused connection ran: %v", err)
				}
				if _, err := tb.b.Hub.Connections.Resume(ctx, tb.admin, tb.conn.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		tb.run(t)
		final := tb.run(t)
		a, b := byEmail(t, tb.a), byEmail(t, tb.b)
		if len(a) != created || len(b) != created {
			rt.Fatalf("A has %d contacts, B has %d, %d were created", len(a), len(b), created)
		}
		for email, pa := range a {
			pb := b[email]
			for _, f := range []string{"email", "firstname", "lastname", "phone"} {
				if pa[f] != pb[f] {
					rt.Fatalf("%s differs on %s: A %q, B %q", email, f, pa[f], pb[f])
				}
			}
		}
		for k, sidesWrote := range writers {
			if len(sidesWrote) != 1 {
				continue
			}
			email, field, _ := strings.Cut(k, "/")
			if got := a[email][field]; got != last[k] {
				rt.Fatalf("%s: only one side wrote it, last %q, but both hubs have %q", k, last[k], got)
			}
		}
		for k, n := range final.Counts {
			if n > 0 && (hasSuffix(k, ".created") || hasSuffix(k, ".updated")) {
				rt.Fatalf("a sync after convergence still wrote %s=%d", k, n)
			}
		}
		var links int
		tb.b.Hub.Store.View(ctx, func(tx store.Tx) error {
			syncs, _ := tx.ObjectSyncs(ctx, tb.conn.ID)
			links, _ = tx.CountLinks(ctx, syncs[0].ID)
			return nil
		})
		if links != created {
			rt.Fatalf("%d links for %d records", links, created)
		}
	})
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

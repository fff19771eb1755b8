package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// CatchUpTimeout bounds how long the walk waits for the catch-up run to
// deliver the edits made while the connection was broken.
var CatchUpTimeout = 2 * time.Minute

// StepError is a step of the walk that failed.
type StepError struct {
	Step int
	Name string
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d (%s) failed: %v", e.Step, e.Name, e.Err)
}
func (e *StepError) Unwrap() error { return e.Err }

// edit is a record the walk changes on one side and expects on the other.
type edit struct {
	from, to *Side
	// The record is the one whose key property is id.
	object, key     string
	id, prop, value string
}

// Walk plays the story by itself, narrating each step with its timing:
// the connector user is removed by force and the connection turns
// needs_reconnect; records are edited on both sides through the CRM API
// and wait; the second admin reconnects through Acme's consent page; the
// catch-up run delivers the edits to each side.
func (d *Demo) Walk(ctx context.Context) error {
	steps := []struct {
		name string
		run  func(context.Context, *walk) error
	}{
		{"check the stage", d.checkStage},
		{"remove the connector user", d.removeConnector},
		{"edit records on both sides", d.editBothSides},
		{"reconnect as the second admin", d.reconnect},
		{"wait for the catch-up", d.awaitCatchUp},
		{"count the records", d.count},
	}
	w := &walk{}
	for i, s := range steps {
		if err := s.run(ctx, w); err != nil {
			return &StepError{Step: i + 1, Name: s.name, Err: err}
		}
	}
	d.say("the story is over: the connection broke when its connector left, and came back with every edit made meanwhile when another admin reconnected")
	return nil
}

// walk is what the steps hand on to each other.
type walk struct {
	edits []edit
	// lastRun is the newest run before the connector was removed: runs
	// after it are the catch-up.
	lastRun int64
}

func (d *Demo) checkStage(ctx context.Context, _ *walk) error {
	u, err := d.Ours.Hub.Identity.User(ctx, d.Connector())
	if err != nil {
		return err
	}
	c, err := d.Ours.Hub.Connections.Get(ctx, d.ConnectionID)
	if err != nil {
		return err
	}
	if c.Status != connection.StatusActive || c.OwnerID != u.ID {
		return fmt.Errorf("connection %q is %s and runs as user %d, not active as %s; run the demo again to set the stage, or start over with --reset",
			c.Name, c.Status, c.OwnerID, u.Email)
	}
	d.say("connection %q is %s, running as %s", c.Name, c.Status, u.Email)
	return nil
}

func (d *Demo) removeConnector(ctx context.Context, w *walk) error {
	admin, err := d.Ours.admin(ctx)
	if err != nil {
		return err
	}
	u, err := d.Ours.Hub.Identity.User(ctx, d.Connector())
	if err != nil {
		return err
	}
	deps, err := d.Ours.Hub.Connections.Dependents(ctx, u.ID)
	if err != nil {
		return err
	}
	var impact []string
	for _, dep := range deps {
		impact = append(impact, fmt.Sprintf("%s of %q", dep.Role, dep.Connection.Name))
	}
	d.say("impact of removing %s: %s", u.Email, strings.Join(impact, ", "))
	if _, _, err := d.Ours.Hub.Connections.Offboard(ctx, admin, d.Ours.Hub.Identity, connection.Offboarding{
		User: u.Email, Status: identity.StatusRemoved, Force: true}); err != nil {
		return err
	}
	runs, err := d.Ours.Hub.Syncer.Runs(ctx, d.ConnectionID, 1)
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		w.lastRun = runs[0].ID
	}
	c, err := d.Ours.Hub.Connections.Get(ctx, d.ConnectionID)
	if err != nil {
		return err
	}
	if c.Status != connection.StatusNeedsReconnect || c.Reason != connection.ReasonUserRemoved {
		return fmt.Errorf("connection %q is %s (%s), want %s (%s)", c.Name, c.Status, c.Reason,
			connection.StatusNeedsReconnect, connection.ReasonUserRemoved)
	}
	d.say("removed %s (forced); connection %q is %s: %s Next step: %s", u.Email, c.Name, c.Status, c.ReasonMessage, c.NextStep)
	return nil
}

func (d *Demo) editBothSides(ctx context.Context, w *walk) error {
	// To the millisecond: a walk replayed on the same data within the second
	// would otherwise write the values the last walk already delivered.
	at := time.Now().UTC().Format("15:04:05.000")
	for _, side := range []struct {
		from, to *Side
		c        cast
		label    string
	}{{d.Acme, d.Ours, acmeCast, "on Acme"}, {d.Ours, d.Acme, oursCast, "in our hub"}} {
		for i := range 3 {
			w.edits = append(w.edits, edit{from: side.from, to: side.to, object: "contacts", key: "email",
				id: side.c.contactEmail(i), prop: "jobtitle", value: "Edited " + side.label + " at " + at})
		}
		_, domain := side.c.company(0)
		w.edits = append(w.edits, edit{from: side.from, to: side.to, object: "companies", key: "domain",
			id: domain, prop: "industry", value: "Edited " + side.label + " at " + at})
	}
	for _, e := range w.edits {
		rec, err := d.crm(e.from).find(ctx, e.object, e.key, e.id)
		if err != nil {
			return fmt.Errorf("find %s %s on %s: %w", e.object, e.id, e.from.Name, err)
		}
		if _, err := d.crm(e.from).update(ctx, e.object, rec.ID, "", map[string]string{e.prop: e.value}); err != nil {
			return fmt.Errorf("edit %s %s on %s: %w", e.object, e.id, e.from.Name, err)
		}
	}
	d.say("edited 3 contacts and 1 company on Acme and as many in our hub through the CRM API (PATCH /crm/v3/objects/...)")
	// Nothing flows while the connection needs reconnecting.
	held := w.edits[0]
	got, err := d.crm(held.to).find(ctx, held.object, held.key, held.id, held.prop)
	if err != nil {
		return err
	}
	if got.Properties[held.prop] == held.value {
		return fmt.Errorf("%s reached %s while the connection needed reconnecting", held.id, held.to.Name)
	}
	if _, err := d.Ours.Hub.Connections.Credential(ctx, d.ConnectionID); !errors.Is(err, connection.ErrHeld) {
		return fmt.Errorf("the broken connection still hands out its credential: %v", err)
	}
	d.say("the edits wait: the connection holds its credential and its runs until someone reconnects it")
	return nil
}

func (d *Demo) reconnect(ctx context.Context, w *walk) error {
	admin, err := d.Ours.admin(ctx)
	if err != nil {
		return err
	}
	second, err := d.Ours.Hub.Identity.User(ctx, d.Second())
	if err != nil {
		return err
	}
	started, err := d.Ours.Hub.Connections.Reconnect(ctx, admin, d.ConnectionID, connection.Reconnection{Owner: second.Email})
	if err != nil {
		return err
	}
	if _, err := consent(ctx, started.AuthorizeURL, d.acmeAdmin(), d.signIns.password(d.acmeAdmin())); err != nil {
		return fmt.Errorf("approve on Acme: %w", err)
	}
	c, err := d.Ours.Hub.Connections.Get(ctx, d.ConnectionID)
	if err != nil {
		return err
	}
	if c.Status != connection.StatusActive || c.OwnerID != second.ID {
		return fmt.Errorf("connection %q is %s (%s) running as user %d after the reconnect, want active as %s",
			c.Name, c.Status, c.ReasonMessage, c.OwnerID, second.Email)
	}
	d.say("reconnected as %s, approved by %s on Acme's consent page (Acme account %s); connection %q is %s",
		second.Email, d.acmeAdmin(), c.External["account"], c.Name, c.Status)
	return nil
}

func (d *Demo) awaitCatchUp(ctx context.Context, w *walk) error {
	deadline := time.Now().Add(CatchUpTimeout)
	for {
		missing, err := d.undelivered(ctx, w.edits)
		if err != nil {
			return err
		}
		var run store.SyncRun
		if len(missing) == 0 {
			if run, err = d.catchUpRun(ctx, w.lastRun); err != nil {
				return err
			}
			if run.ID != 0 {
				d.say("catch-up run (%s) %s in %s: %s", run.Trigger, run.Status, run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond),
					summarize(run.Counts))
				d.say("verified: Acme's 4 edits are in our hub and our hub's 4 edits are on Acme")
				return nil
			}
			missing = []string{"no run since the reconnect has succeeded"}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %s", CatchUpTimeout, strings.Join(missing, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// catchUpRun is the first run after lastRun that succeeded (none could
// until the connection was reconnected), or none yet.
func (d *Demo) catchUpRun(ctx context.Context, lastRun int64) (store.SyncRun, error) {
	runs, err := d.Ours.Hub.Syncer.Runs(ctx, d.ConnectionID, 20)
	if err != nil {
		return store.SyncRun{}, err
	}
	var first store.SyncRun
	for _, r := range runs { // newest first
		if r.ID > lastRun && r.Status == syncer.RunSucceeded {
			first = r
		}
	}
	return first, nil
}

// undelivered lists the edits not yet on their other side.
func (d *Demo) undelivered(ctx context.Context, edits []edit) ([]string, error) {
	var missing []string
	for _, e := range edits {
		got, err := d.crm(e.to).find(ctx, e.object, e.key, e.id, e.prop)
		if err != nil {
			return nil, err
		}
		if got.Properties[e.prop] != e.value {
			missing = append(missing, fmt.Sprintf("%s %s on %s has %s %q", e.object, e.id, e.to.Name, e.prop, got.Properties[e.prop]))
		}
	}
	return missing, nil
}

func (d *Demo) count(ctx context.Context, _ *walk) error {
	for _, s := range []*Side{d.Acme, d.Ours} {
		var parts []string
		for _, object := range objects {
			res, err := s.Hub.CRM.Search(ctx, object, crm.SearchRequest{Limit: 1})
			if err != nil {
				return err
			}
			parts = append(parts, fmt.Sprintf("%d %s", res.Total, object))
		}
		d.say("%s holds %s", s.Name, strings.Join(parts, ", "))
	}
	return nil
}

func (d *Demo) crm(s *Side) *crmAPI { return newCRMAPI(s.URL, d.editors[s]) }

// summarize says what a run changed on each side, summed over the
// objects; records read and found unchanged are left out.
func summarize(counts map[string]int) string {
	sides := map[string]string{"to_hub": "in our hub", "to_app": "on Acme"}
	sums := map[string]int{}
	for k, n := range counts {
		parts := strings.Split(k, ".")
		if len(parts) != 3 || parts[2] == "read" || parts[2] == "unchanged" || n == 0 {
			continue
		}
		side := sides[parts[1]]
		if side == "" {
			side = parts[1]
		}
		sums[parts[2]+" "+side] += n
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(sums)) {
		out = append(out, fmt.Sprintf("%d %s", sums[k], k))
	}
	if len(out) == 0 {
		return "nothing to change"
	}
	return strings.Join(out, ", ")
}

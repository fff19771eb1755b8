package syncer

import (
	"maps"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/hubsync/hubsync/internal/store"
)

var testFields = []store.FieldMapping{{Hub: "a", App: "a"}, {Hub: "b", App: "b"}, {Hub: "c", App: "c"}}

// values draws a record's values from a small alphabet so that sides often
// agree and often differ.
func values(t *rapid.T, label string) map[string]string {
	out := map[string]string{}
	for _, m := range testFields {
		if v := rapid.SampledFrom([]string{"", "x", "y", "z"}).Draw(t, label+"."+m.Hub); v != "" {
			out[m.Hub] = v
		}
	}
	return out
}

func apply(vals, writes map[string]string) map[string]string {
	out := maps.Clone(vals)
	for k, v := range writes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

type drawn struct {
	base, hub, app map[string]string
	hasBase        bool
	rule           string
	hubAt, appAt   time.Time
}

func draw(t *rapid.T) drawn {
	d := drawn{hasBase: rapid.Bool().Draw(t, "hasBase"), hub: values(t, "hub"), app: values(t, "app"),
		rule: rapid.SampledFrom([]string{RuleMostRecent, RuleHubWins, RuleAppWins}).Draw(t, "rule")}
	d.base = map[string]string{}
	if d.hasBase {
		d.base = values(t, "base")
	}
	now := time.Now()
	d.hubAt = now.Add(time.Duration(rapid.IntRange(-5, 5).Draw(t, "hubAt")) * time.Second)
	d.appAt = now.Add(time.Duration(rapid.IntRange(-5, 5).Draw(t, "appAt")) * time.Second)
	return d
}

func TestMergeTwoWayConverges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := draw(t)
		o := merge(testFields, store.DirectionTwoWay, d.rule, d.base, d.hasBase, version{d.hub, d.hubAt}, version{d.app, d.appAt})
		hub, app := apply(d.hub, o.toHub), apply(d.app, o.toApp)
		if !maps.Equal(hub, app) {
			t.Fatalf("sides differ after the merge: hub %v app %v (outcome %+v)", hub, app, o)
		}
		if !maps.Equal(o.snapshot, hub) {
			t.Fatalf("snapshot %v is not what both sides hold %v", o.snapshot, hub)
		}
		again := merge(testFields, store.DirectionTwoWay, d.rule, o.snapshot, true, version{hub, d.hubAt}, version{app, d.appAt})
		if len(again.toHub)+len(again.toApp)+again.conflicts != 0 {
			t.Fatalf("a second merge still writes: %+v", again)
		}
	})
}

func TestMergeOneSidedChangeWins(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := draw(t)
		if !d.hasBase {
			return
		}
		o := merge(testFields, store.DirectionTwoWay, d.rule, d.base, true, version{d.hub, d.hubAt}, version{d.app, d.appAt})
		hub := apply(d.hub, o.toHub)
		for _, m := range testFields {
			f := m.Hub
			switch {
			case d.hub[f] != d.base[f] && d.app[f] == d.base[f] && hub[f] != d.hub[f]:
				t.Fatalf("field %s changed only in the hub (%q) ended as %q", f, d.hub[f], hub[f])
			case d.app[f] != d.base[f] && d.hub[f] == d.base[f] && hub[f] != d.app[f]:
				t.Fatalf("field %s changed only in the app (%q) ended as %q", f, d.app[f], hub[f])
			}
		}
	})
}

func TestMergeConflictRules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := draw(t)
		o := merge(testFields, store.DirectionTwoWay, d.rule, d.base, d.hasBase, version{d.hub, d.hubAt}, version{d.app, d.appAt})
		hub := apply(d.hub, o.toHub)
		for _, m := range testFields {
			f := m.Hub
			h, a, b := d.hub[f], d.app[f], d.base[f]
			conflict := h != a && h != "" && a != "" && (!d.hasBase || h != b && a != b)
			if !conflict {
				continue
			}
			want := h
			if d.rule == RuleAppWins || d.rule == RuleMostRecent && d.appAt.After(d.hubAt) {
				want = a
			}
			if hub[f] != want {
				t.Fatalf("rule %s, field %s: hub %q app %q base %q → %q, want %q", d.rule, f, h, a, b, hub[f], want)
			}
		}
	})
}

func TestMergeRespectsDirections(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := draw(t)
		fields := []store.FieldMapping{{Hub: "a", App: "a", Direction: store.DirectionToHub},
			{Hub: "b", App: "b", Direction: store.DirectionToApp}, {Hub: "c", App: "c"}}
		o := merge(fields, store.DirectionTwoWay, d.rule, d.base, d.hasBase, version{d.hub, d.hubAt}, version{d.app, d.appAt})
		if _, ok := o.toApp["a"]; ok {
			t.Fatalf("a to-hub field was written to the app: %+v", o)
		}
		if _, ok := o.toHub["b"]; ok {
			t.Fatalf("a to-app field was written to the hub: %+v", o)
		}
		for _, dir := range []string{store.DirectionToHub, store.DirectionToApp} {
			o := merge(testFields, dir, d.rule, d.base, d.hasBase, version{d.hub, d.hubAt}, version{d.app, d.appAt})
			if dir == store.DirectionToHub && len(o.toApp) > 0 || dir == store.DirectionToApp && len(o.toHub) > 0 {
				t.Fatalf("a %s sync wrote the other way: %+v", dir, o)
			}
		}
	})
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ typ, in, want string }{
		{TypeNumber, "1.50", "1.5"}, {TypeNumber, "007", "7"}, {TypeNumber, "-0.000", "0"}, {TypeNumber, "abc", "abc"},
		{TypeBoolean, "T", "true"}, {TypeBoolean, "0", "false"}, {TypeBoolean, "maybe", "maybe"},
		{TypeDateTime, "1764324000000", "2025-11-28T10:00:00.000Z"}, {TypeDateTime, "2025-11-28T11:00:00+01:00", "2025-11-28T10:00:00.000Z"},
		{TypeDate, "2025-11-28T23:00:00Z", "2025-11-28"}, {TypeText, "  x ", "x"}, {TypeText, "", ""},
	} {
		if got := normalize(c.typ, c.in); got != c.want {
			t.Errorf("normalize(%s, %q) = %q, want %q", c.typ, c.in, got, c.want)
		}
	}
}

func TestFilters(t *testing.T) {
	props := map[string]string{"lifecyclestage": "Customer", "amount": "150", "email": ""}
	for _, c := range []struct {
		f    store.Filter
		want bool
	}{
		{store.Filter{Property: "lifecyclestage", Operator: "eq", Value: "customer"}, true},
		{store.Filter{Property: "lifecyclestage", Operator: "neq", Value: "customer"}, false},
		{store.Filter{Property: "email", Operator: "has"}, false},
		{store.Filter{Property: "email", Operator: "not_has"}, true},
		{store.Filter{Property: "lifecyclestage", Operator: "in", Value: "lead, customer"}, true},
		{store.Filter{Property: "lifecyclestage", Operator: "not_in", Value: "lead,customer"}, false},
		{store.Filter{Property: "amount", Operator: "gt", Value: "99"}, true},
		{store.Filter{Property: "amount", Operator: "lt", Value: "99"}, false},
	} {
		if got := passes([]store.Filter{c.f}, props); got != c.want {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
}

func TestStagedWritesTellLandedFromEdited(t *testing.T) {
	base := map[string]string{"a": "old", "b": "old", "c": "old"}
	staged := withPending(base, map[string]string{"a": "new", "b": "new", "c": ""})
	// a: the write landed; b: it did not; c: the clear landed.
	app := map[string]string{"a": "new", "b": "old"}
	got := effectiveBase(staged, app)
	want := map[string]string{"a": "new", "b": "old"}
	if !maps.Equal(got, want) {
		t.Fatalf("effective base %v, want %v", got, want)
	}
	// An edit on the external side after the write is an edit: the base
	// stays what was last agreed for that field.
	if got := effectiveBase(staged, map[string]string{"a": "edited"}); got["a"] != "old" {
		t.Fatalf("an external edit was taken for the engine's write: %v", got)
	}
	if got := effectiveBase(base, nil); !maps.Equal(got, base) {
		t.Fatalf("a snapshot without staged writes changed: %v", got)
	}
}

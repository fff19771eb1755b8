package bench

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCheckTargets(t *testing.T) {
	rows := []Row{
		{Name: "initial sync hub→hub (B pulls from A)", Records: 100_000, Rate: 30_000, PeakRSSMiB: 80},
		{Name: "initial sync hub→hub (B pulls from A)", Records: 1_000_000, Rate: 26_000, PeakRSSMiB: 80},
		{Name: "initial sync hub→PostgreSQL", Records: 10_000, Rate: 50_000, PeakRSSMiB: 120},
		{Name: "propagation update, hub → PostgreSQL table (plain SQL)", P50ms: 250, P99ms: 900},
		{Name: "propagation archive, hub → PostgreSQL table (plain SQL)", P50ms: 250, P99ms: 55_000},
		{Name: "refresh_token grant, 4 clients", Rate: 2_300},
		{Name: "search contact by email, 1 client", Rate: 10},
	}
	checkTargets(rows)
	want := []*bool{ptr(true), ptr(false), ptr(false), ptr(true), ptr(false), ptr(true), nil}
	for i, r := range rows {
		switch {
		case want[i] == nil && r.Met != nil:
			t.Errorf("%s: has a target %q, want none", r.Name, r.Target)
		case want[i] != nil && (r.Met == nil || *r.Met != *want[i]):
			t.Errorf("%s (%d records): met %v, want %v (target %q)", r.Name, r.Records, r.Met, *want[i], r.Target)
		}
	}
	if !strings.Contains(rows[1].Target, "27,000") {
		t.Errorf("the 1M target is %q, want 0.9× the 100k rate of the run (27,000)", rows[1].Target)
	}
}

func TestWriteTable(t *testing.T) {
	rows := []Row{
		{Name: "baseline: loopback HTTP hop, HubSpot JSON", Records: 5000, Rate: 40_000, Unit: "rec/s", IsBaseline: true, Key: baseHTTP},
		{Name: "initial sync hub→hub (B pulls from A)", Records: 5000, Rate: 4_000, Unit: "rec/s", Baseline: baseHTTP, PeakRSSMiB: 181,
			CPUPerRecordUs: 277, Note: "a note"},
	}
	compare(rows)
	checkTargets(rows)
	var out bytes.Buffer
	rep := &Report{Rows: rows, Failures: []string{"propagation: broke"}}
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"40,000 rec/s", "4,000 rec/s", "0.10× HTTP hop", "277 µs", "181 MiB",
		"missed: ≥ 25,000 rec/s, RSS < 100 MiB", "a note", "FAILED: propagation: broke"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
}

func ptr(b bool) *bool { return &b }

// TestSelected: --only keeps the steps it names, with the seeding first
// when a hub→hub sync is among them, and all of them without it.
func TestSelected(t *testing.T) {
	r := &runner{plan: plan{syncSizes: []int{10, 20}, batch: 10}, pg: &pgAdmin{}}
	all := r.steps()
	names := func(steps []step) []string {
		var out []string
		for _, s := range steps {
			out = append(out, s.name)
		}
		return out
	}
	if got := r.selected(all); len(got) != len(all) {
		t.Errorf("without --only: %d steps, want all %d", len(got), len(all))
	}
	for _, c := range []struct {
		only string
		want []string
	}{
		{"batch create, SQLite", []string{"batch create, SQLite, 1 client(s)", "batch create, SQLite, 4 client(s)"}},
		{"hub→hub, 20", []string{"seed the hubs B pulls from", "initial sync hub→hub, 20"}},
		{"nothing like this", nil},
	} {
		r.opts.Only = regexp.MustCompile(c.only)
		if got := names(r.selected(all)); !slices.Equal(got, c.want) {
			t.Errorf("--only %q: %q, want %q", c.only, got, c.want)
		}
	}
}

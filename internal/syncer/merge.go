package syncer

import (
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Conflict rules.
const (
	RuleMostRecent = "most_recent"
	RuleHubWins    = "hub_wins"
	RuleAppWins    = "app_wins"
)

// version is one side's mapped values and when that record last changed.
type version struct {
	values    map[string]string // by hub property, normalised
	updatedAt time.Time
}

// outcome is what a three-way merge decided for one pair of records.
type outcome struct {
	toHub     map[string]string // hub properties to set; "" clears
	toApp     map[string]string // values by hub property to set on the app; "" clears
	snapshot  map[string]string // the values both sides agree on after the writes
	conflicts int
}

// merge compares each mapped field of a linked pair with the value last
// synced (base): a field changed on one side takes that side's value, a
// field changed on both takes the conflict rule's, and nothing flows
// against a field's direction. With no base (records paired for the first
// time) an empty value never overwrites a filled one, and differing values
// are a conflict.
func merge(ms []store.FieldMapping, dir, rule string, base map[string]string, hasBase bool, hub, app version) outcome {
	out := outcome{toHub: map[string]string{}, toApp: map[string]string{}, snapshot: map[string]string{}}
	canHub, canApp := map[string]bool{}, map[string]bool{}
	for _, m := range ms {
		canHub[m.Hub], canApp[m.Hub] = flows(dir, m.Direction, store.SideHub), flows(dir, m.Direction, store.SideApp)
	}
	for _, m := range ms {
		f := m.Hub
		h, a, b := hub.values[f], app.values[f], base[f]
		took := ""
		switch {
		case h == a:
			took = "both"
		case !hasBase && h == "":
			took = "app"
		case !hasBase && a == "":
			took = "hub"
		case hasBase && a == b:
			took = "hub"
		case hasBase && h == b:
			took = "app"
		default:
			took = winner(rule, hub.updatedAt, app.updatedAt)
			out.conflicts++
		}
		switch {
		case took == "both":
			out.snapshot[f] = h
		case took == "hub" && canApp[f], took == "app" && !canHub[f] && canApp[f] && h != b:
			out.toApp[f], out.snapshot[f] = h, h
		case took == "app" && canHub[f], took == "hub" && !canApp[f] && canHub[f] && a != b:
			out.toHub[f], out.snapshot[f] = a, a
		default:
			out.snapshot[f] = b // nothing may flow; remember what was last agreed
		}
	}
	for f, v := range out.snapshot {
		if v == "" {
			delete(out.snapshot, f)
		}
	}
	return out
}

// winner picks the side whose value stands when both changed a field.
func winner(rule string, hubAt, appAt time.Time) string {
	switch rule {
	case RuleHubWins:
		return "hub"
	case RuleAppWins:
		return "app"
	}
	if appAt.After(hubAt) {
		return "app"
	}
	return "hub"
}

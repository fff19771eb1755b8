package syncer

import (
	"maps"
	"strings"
)

// A step stages, before it writes to the external side, the values it is
// about to write next to the values last agreed, in the link's snapshot
// under pendingKey-prefixed names. If the step dies after the external
// write but before the link is stored, the next step finds both and can
// tell, field by field, whether the write landed: an external value equal
// to the pending one is the engine's own, not an edit made there.
const pendingKey = "\x00pending:"

// withPending is base with the values about to be written to the external
// side (sent, by hub property; "" clears) staged in it. Only fields sent
// are staged: a field the external side changed itself keeps its base.
func withPending(base, sent map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	for k := range out {
		if strings.HasPrefix(k, pendingKey) {
			delete(out, k)
		}
	}
	for k, v := range sent {
		out[pendingKey+k] = v
	}
	return out
}

// effectiveBase is the base a merge compares against: where a staged
// write is present, each field's base is the staged value if the external
// side holds it (the write landed), else the value last agreed.
func effectiveBase(snapshot, app map[string]string) map[string]string {
	base := map[string]string{}
	staged := map[string]string{}
	for k, v := range snapshot {
		if f, ok := strings.CutPrefix(k, pendingKey); ok {
			staged[f] = v
		} else {
			base[k] = v
		}
	}
	for f, v := range staged {
		if app[f] == v {
			base[f] = v
		}
	}
	for f, v := range base {
		if v == "" {
			delete(base, f)
		}
	}
	return base
}

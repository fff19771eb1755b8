package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/store"
)

// connectionSummary writes a connection for a person to read: its state
// and what to do about it, who is involved by name, what it syncs and how
// its last run went.
func connectionSummary(w io.Writer, v api.ConnectionSummaryView) error {
	fmt.Fprintf(w, "Connection %d %q\n", v.ID, v.Name)
	fields := []field{{"Status", v.Status}}
	if r := v.Reason; r != nil {
		fields = []field{{"Status", statusText(v.Status, r.Code)}, {"Reason", r.Message},
			{"Since", r.Since.Format(time.RFC3339)}, {"Next step", r.NextStep}}
	}
	in := v.Integration
	fields = append(fields,
		field{"Integration", fmt.Sprintf("%s (%s, %s)", in.Name, in.Provider, in.AuthKind)},
		field{"Runs as", runsAs(v)},
		field{"Owner", personText(v.Owner)},
		field{"Maintainer", personText(v.Maintainer)},
		field{"Note", v.Note},
		field{"Objects", strings.Join(v.Objects, ", ")},
		field{"Syncs", syncsText(v.Syncs, v.ID)},
		field{"Last run", lastRunText(v.LastRun)},
		field{"Last success", timeOr(v.LastSuccessAt, "never")},
		field{"Last error", lastErrorText(v.ConnectionView)},
		field{"External", externalText(v.External)},
		field{"Scopes", strings.Join(v.Scopes, " ")},
		field{"Created", v.CreatedAt.Format(time.RFC3339) + " by " + creatorText(v.CreatedBy)})
	printFields(w, fields)
	return nil
}

// runsAs says whose hub permissions the connection syncs with.
func runsAs(v api.ConnectionSummaryView) string {
	if v.AuthMode == connection.ModeApp {
		return "the account (app mode)"
	}
	if v.Owner == nil {
		return "nobody (user mode without a connector user)"
	}
	return v.Owner.Email + " (user mode: their hub permissions)"
}

// personText names a user by name and email, and says when they are not
// active.
func personText(p *api.PersonView) string {
	if p == nil {
		return ""
	}
	s := p.Email
	switch {
	case s == "":
		s = fmt.Sprintf("user %d (no longer stored)", p.ID)
	case p.Name != "":
		s = p.Name + " <" + p.Email + ">"
	}
	if p.Status != "" && p.Status != "active" {
		s += " (" + p.Status + ")"
	}
	return s
}

func creatorText(p *api.PersonView) string {
	if p == nil {
		return "the command line"
	}
	return personText(p)
}

// syncsText lists object syncs as "contacts ↔ contacts (two_way)".
func syncsText(syncs []api.ObjectSyncView, id int64) string {
	if len(syncs) == 0 {
		return fmt.Sprintf("none; add one with hubsync connections sync-config add %d --object contacts", id)
	}
	arrows := map[string]string{store.DirectionTwoWay: "↔", store.DirectionToApp: "→", store.DirectionToHub: "←"}
	parts := make([]string, len(syncs))
	for i, o := range syncs {
		parts[i] = fmt.Sprintf("%s %s %s (%s", o.HubObject, arrows[o.Direction], o.ExternalObject, o.Direction)
		if !o.Enabled {
			parts[i] += ", disabled"
		}
		parts[i] += ")"
	}
	return strings.Join(parts, ", ")
}

// lastRunText is the newest run on one line: which, how it ended, when,
// why it ran, how long it took and what it wrote.
func lastRunText(r *api.RunView) string {
	if r == nil {
		return "none yet"
	}
	return fmt.Sprintf("%d %s, started %s (%s, %s): %s", r.ID, r.Status, r.StartedAt.Format(time.RFC3339), r.Trigger,
		runDuration(*r), runSummary(*r))
}

func lastErrorText(c api.ConnectionView) string {
	if c.LastErrorAt == nil {
		return ""
	}
	return c.LastErrorAt.Format(time.RFC3339) + ": " + c.LastError
}

// externalText is what the external side said it is: account, user.
func externalText(m map[string]string) string {
	var parts []string
	for _, k := range []string{"account", "user"} {
		if m[k] != "" {
			parts = append(parts, k+" "+m[k])
		}
	}
	return strings.Join(parts, ", ")
}

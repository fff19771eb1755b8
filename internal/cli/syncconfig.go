package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// syncChangeFlags are the flags of "sync-config update", before parsing.
type syncChangeFlags struct {
	direction, conflict, matchKey       string
	maps, setFields, dropFields         []string
	hubFilters, appFilters              []string
	noHubFilters, noAppFilters, noMatch bool
	propagateDeletes                    bool
}

// change parses the flags cmd was given into what the engine takes; the
// engine checks the values.
func (f syncChangeFlags) change(cmd *cobra.Command) (syncer.ObjectSyncChange, error) {
	var ch syncer.ObjectSyncChange
	given := cmd.Flags().Changed
	if given("direction") {
		ch.Direction = &f.direction
	}
	if given("conflict") {
		ch.ConflictRule = &f.conflict
	}
	if given("propagate-deletes") {
		ch.PropagateDeletes = &f.propagateDeletes
	}
	var err error
	if ch.Mappings, err = fieldMappings(f.maps); err != nil {
		return ch, err
	}
	if ch.SetFields, err = fieldMappings(f.setFields); err != nil {
		return ch, err
	}
	ch.DropFields = f.dropFields
	if ch.HubFilters, err = filterChange("hub-filter", f.hubFilters, f.noHubFilters); err != nil {
		return ch, err
	}
	if ch.AppFilters, err = filterChange("app-filter", f.appFilters, f.noAppFilters); err != nil {
		return ch, err
	}
	ch.HubMatchKey, ch.AppMatchKey, err = matchKeys(f.matchKey, f.noMatch)
	return ch, err
}

func fieldMappings(given []string) ([]store.FieldMapping, error) {
	var out []store.FieldMapping
	for _, s := range given {
		m, err := fieldMapping(s)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// filterChange is the new filters of one side: nil to keep them, empty to
// drop them all.
func filterChange(flag string, given []string, none bool) (*[]store.Filter, error) {
	switch {
	case none && len(given) > 0:
		return nil, fmt.Errorf("give --%s or --no-%ss, not both", flag, flag)
	case none:
		return &[]store.Filter{}, nil
	case len(given) == 0:
		return nil, nil
	}
	fs, err := filters(flag, given)
	return &fs, err
}

// withObjectSync runs fn on the object sync args name: <id> <sync>.
func (a *app) withObjectSync(cmd *cobra.Command, args []string, fn func(h *hub.Hub, id, syncID int64) error) error {
	syncID, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || syncID <= 0 {
		return fmt.Errorf("object sync id %q must be a positive number (see hubsync connections sync-config list %s)", args[1], args[0])
	}
	return a.withKnownConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error { return fn(h, id, syncID) })
}

// printChanged shows an object sync after a change: JSON under --output
// json, else what changed and when it takes effect.
func (a *app) printChanged(o store.ObjectSync, what string) error {
	v := api.NewObjectSyncView(o)
	return a.render(v, func(w io.Writer) error {
		state := "enabled"
		if !v.Enabled {
			state = "disabled"
		}
		_, err := fmt.Fprintf(w, "object sync %d (%s with %s, %s, %s) %s; it takes effect on the next run\nfields: %s\n",
			v.ID, v.HubObject, v.ExternalObject, v.Direction, state, what, fields(v.Mappings))
		return err
	})
}

func (a *app) syncConfigUpdateCmd() *cobra.Command {
	var f syncChangeFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use: "update <id> <sync> [--map hub=app[:type[:direction]]]… [--set-field hub=app[:type[:direction]]]… [--drop-field hub]… " +
			"[--direction D] [--hub-filter p:op:v]… [--no-hub-filters] [--app-filter p:op:v]… [--no-app-filters] " +
			"[--match-key hub[=app] | --no-match] [--conflict R] [--propagate-deletes=true|false] [--dry-run]",
		Short: "Change an object sync; fields it names are checked against both sides, and records synced before are synced again under the new settings",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := f.change(cmd)
			if err != nil {
				return err
			}
			return a.withObjectSync(cmd, args, func(h *hub.Hub, id, syncID int64) error {
				if dryRun {
					p, err := h.Syncer.PreviewUpdate(cmd.Context(), audit.CLI, id, syncID, ch)
					if err != nil {
						return explainError(err)
					}
					return a.printPreview(p)
				}
				o, err := h.Syncer.UpdateObjectSync(cmd.Context(), audit.CLI, id, syncID, ch)
				if err != nil {
					return explainError(err)
				}
				return a.printChanged(o, "updated")
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.direction, "direction", "", "two_way, to_hub or to_app")
	fl.StringArrayVar(&f.maps, "map", nil, "a field as hub=app[:type[:direction]] (repeatable; replaces every mapping)")
	fl.StringArrayVar(&f.setFields, "set-field", nil, "add a field, or change the one of the same hub property, as hub=app[:type[:direction]] (repeatable)")
	fl.StringArrayVar(&f.dropFields, "drop-field", nil, "stop syncing the field of this hub property (repeatable)")
	fl.StringArrayVar(&f.hubFilters, "hub-filter", nil, "replace the hub filters with property:operator:value (repeatable)")
	fl.BoolVar(&f.noHubFilters, "no-hub-filters", false, "drop every hub filter")
	fl.StringArrayVar(&f.appFilters, "app-filter", nil, "replace the external filters with property:operator:value (repeatable)")
	fl.BoolVar(&f.noAppFilters, "no-app-filters", false, "drop every external filter")
	fl.StringVar(&f.matchKey, "match-key", "", "pair records seen for the first time by this hub property, or hub=app")
	fl.BoolVar(&f.noMatch, "no-match", false, "never pair records on first contact: always create")
	fl.StringVar(&f.conflict, "conflict", "", "most_recent, hub_wins or app_wins")
	fl.BoolVar(&f.propagateDeletes, "propagate-deletes", false, "archive a record on one side when it is archived or deleted on the other")
	fl.BoolVar(&dryRun, "dry-run", false, dryRunHelp)
	return cmd
}

const dryRunHelp = "save nothing: count what the next run would create, update and leave out on each side under these settings"

// printPreview shows a dry run: JSON under --output json, else a table of
// the writes on each side.
func (a *app) printPreview(p syncer.Preview) error {
	return a.render(p, func(w io.Writer) error {
		fmt.Fprintf(w, "dry run of %s with %s (%s): nothing was saved\n", p.HubObject, p.ExternalObject, p.Direction)
		fmt.Fprintln(w, "SIDE\tREAD\tCREATE\tUPDATE\tLEFT OUT BY FILTERS")
		fmt.Fprintf(w, "external (%s)\t%d\t%d\t%d\t%d\n", p.ExternalObject, p.AppRead, p.ToApp.Create, p.ToApp.Update, p.ToApp.Excluded)
		fmt.Fprintf(w, "hub (%s)\t%d\t%d\t%d\t%d\n", p.HubObject, p.HubRead, p.ToHub.Create, p.ToHub.Update, p.ToHub.Excluded)
		_, err := fmt.Fprintf(w, "paired by match key: %d, conflicts: %d\n", p.Matched, p.Conflicts)
		if err == nil && p.Limited {
			_, err = fmt.Fprintf(w, "counted over the first %d records of each side\n", syncer.MaxPreviewed)
		}
		return err
	})
}

func (a *app) syncConfigEnableCmd(enable bool) *cobra.Command {
	use, short, done := "disable", "Stop an object sync; it keeps its links and its place, and delivers what changed meanwhile when enabled", "disabled"
	if enable {
		use, short, done = "enable", "Sync a disabled object sync again, from where it stopped; its fields are checked against both sides first", "enabled"
	}
	return &cobra.Command{
		Use:   use + " <id> <sync>",
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withObjectSync(cmd, args, func(h *hub.Hub, id, syncID int64) error {
				o, err := h.Syncer.UpdateObjectSync(cmd.Context(), audit.CLI, id, syncID, syncer.ObjectSyncChange{Enabled: &enable})
				if err != nil {
					return explainError(err)
				}
				return a.printChanged(o, done)
			})
		},
	}
}

func (a *app) syncConfigRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove <id> <sync>",
		Short: "Delete an object sync with its links, cursors and record errors; records stay on both sides",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withObjectSync(cmd, args, func(h *hub.Hub, id, syncID int64) error {
				if err := h.Syncer.RemoveObjectSync(cmd.Context(), audit.CLI, id, syncID); err != nil {
					return explainError(err)
				}
				_, err := fmt.Fprintf(a.stdout, "object sync %d removed from connection %d, with its links, cursors and record errors; records stay on both sides\n", syncID, id)
				return err
			})
		},
	}
}

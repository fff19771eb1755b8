package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// followEvery is how often sync-now --follow looks at the run.
const followEvery = 500 * time.Millisecond

// withKnownConnection is withConnection for a connection that must exist,
// so a wrong id reads "not found" rather than an empty list.
func (a *app) withKnownConnection(ctx context.Context, arg string, fn func(h *hub.Hub, id int64) error) error {
	return a.withConnection(ctx, arg, func(h *hub.Hub, id int64) error {
		if _, err := h.Connections.Get(ctx, id); err != nil {
			return explainError(err)
		}
		return fn(h, id)
	})
}

func (a *app) connectionsSyncConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "sync-config", Short: "Manage which objects a connection syncs, and how"}
	cmd.AddCommand(a.syncConfigAddCmd(), a.syncConfigListCmd(), a.syncConfigUpdateCmd(), a.syncConfigEnableCmd(true),
		a.syncConfigEnableCmd(false), a.syncConfigRemoveCmd())
	return cmd
}

// objectSyncFlags are the flags of "sync-config add", before parsing.
type objectSyncFlags struct {
	in                     syncer.ObjectSyncInput
	maps, hubFilt, appFilt []string
	matchKey               string
	noMatch                bool
}

// input parses the flags into what the engine takes; the engine checks
// the values (directions, types, operators) itself.
func (f objectSyncFlags) input() (syncer.ObjectSyncInput, error) {
	in := f.in
	var err error
	if in.Mappings, err = fieldMappings(f.maps); err != nil {
		return in, err
	}
	if in.HubFilters, err = filters("hub-filter", f.hubFilt); err != nil {
		return in, err
	}
	if in.AppFilters, err = filters("app-filter", f.appFilt); err != nil {
		return in, err
	}
	in.HubMatchKey, in.AppMatchKey, err = matchKeys(f.matchKey, f.noMatch)
	return in, err
}

// matchKeys parses --match-key hub[=app] and --no-match: nil when neither
// is given, empty keys for --no-match.
func matchKeys(matchKey string, noMatch bool) (hub, app *string, err error) {
	switch {
	case noMatch && matchKey != "":
		return nil, nil, errors.New("give --match-key or --no-match, not both")
	case noMatch:
		none := ""
		return &none, &none, nil
	case matchKey == "":
		return nil, nil, nil
	}
	hubKey, appKey, paired := strings.Cut(matchKey, "=")
	hubKey, appKey = strings.TrimSpace(hubKey), strings.TrimSpace(appKey)
	if hubKey == "" || paired && appKey == "" {
		return nil, nil, fmt.Errorf("--match-key %q must be a hub property, or hub=app", matchKey)
	}
	if !paired {
		return &hubKey, nil, nil
	}
	return &hubKey, &appKey, nil
}

// fieldMapping parses hub=app[:type[:direction]].
func fieldMapping(s string) (store.FieldMapping, error) {
	bad := fmt.Errorf("--map %q must be hub=app[:type[:direction]], e.g. firstname=first_name:text:two_way", s)
	hubName, rest, ok := strings.Cut(s, "=")
	parts := strings.Split(rest, ":")
	if !ok || len(parts) > 3 {
		return store.FieldMapping{}, bad
	}
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	m := store.FieldMapping{Hub: strings.TrimSpace(hubName), App: strings.TrimSpace(parts[0]),
		Type: strings.TrimSpace(parts[1]), Direction: strings.TrimSpace(parts[2])}
	if m.Hub == "" || m.App == "" {
		return m, bad
	}
	return m, nil
}

// filters parses prop:op[:value] flags; the value may hold colons.
func filters(flag string, given []string) ([]store.Filter, error) {
	var out []store.Filter
	for _, s := range given {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) < 2 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[1]) == "" {
			return nil, fmt.Errorf("--%s %q must be property:operator[:value], e.g. lifecyclestage:eq:customer", flag, s)
		}
		f := store.Filter{Property: strings.TrimSpace(parts[0]), Operator: strings.TrimSpace(parts[1])}
		if len(parts) == 3 {
			f.Value = parts[2]
		}
		out = append(out, f)
	}
	return out, nil
}

func (a *app) syncConfigAddCmd() *cobra.Command {
	var f objectSyncFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use: "add <id> --object contacts [--external-object O] [--direction two_way|to_hub|to_app] " +
			"[--map hub=app[:type[:direction]]]… [--hub-filter prop:op:value]… [--app-filter prop:op:value]… " +
			"[--match-key hub[=app] | --no-match] [--conflict most_recent|hub_wins|app_wins] [--propagate-deletes] [--dry-run]",
		Short: "Sync an object through a connection; without --map the object's default fields are mapped to the same names",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := f.input()
			if err != nil {
				return err
			}
			return a.withKnownConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				if dryRun {
					p, err := h.Syncer.PreviewAdd(cmd.Context(), audit.CLI, id, in)
					if err != nil {
						return explainError(err)
					}
					return a.printPreview(p)
				}
				o, err := h.Syncer.AddObjectSync(cmd.Context(), audit.CLI, id, in)
				if err != nil {
					return explainError(err)
				}
				return a.printJSON(api.NewObjectSyncView(o))
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.in.HubObject, "object", "", "hub object: contacts, companies or deals")
	fl.StringVar(&f.in.ExternalObject, "external-object", "", "external object, or table for postgres (default: the hub object's name)")
	fl.StringVar(&f.in.Direction, "direction", "", "two_way, to_hub or to_app (default two_way)")
	fl.StringArrayVar(&f.maps, "map", nil, "a field as hub=app[:type[:direction]] (repeatable; replaces the default fields)")
	fl.StringArrayVar(&f.hubFilt, "hub-filter", nil, "sync only hub records where property:operator:value holds (repeatable; "+
		"operators eq, neq, has, not_has, in, not_in, gt, lt)")
	fl.StringArrayVar(&f.appFilt, "app-filter", nil, "sync only external records where property:operator:value holds (repeatable)")
	fl.StringVar(&f.matchKey, "match-key", "", "pair records seen for the first time by this hub property, or hub=app (default: email for contacts, domain for companies)")
	fl.BoolVar(&f.noMatch, "no-match", false, "never pair records on first contact: always create")
	fl.StringVar(&f.in.ConflictRule, "conflict", "", "most_recent, hub_wins or app_wins (default most_recent)")
	fl.BoolVar(&f.in.PropagateDeletes, "propagate-deletes", false, "archive a record on one side when it is archived or deleted on the other")
	fl.BoolVar(&dryRun, "dry-run", false, dryRunHelp)
	cmd.MarkFlagRequired("object")
	return cmd
}

func (a *app) syncConfigListCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "list <id>",
		Short: "List a connection's object syncs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withKnownConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				syncs, err := h.Syncer.ObjectSyncs(cmd.Context(), id)
				if err != nil {
					return err
				}
				out := views(syncs, api.NewObjectSyncView)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tOBJECT\tEXTERNAL\tDIRECTION\tMATCH\tCONFLICT\tDELETES\tFILTERS\tENABLED\tFIELDS")
					for _, o := range out {
						match := "-"
						if o.HubMatchKey != "" {
							match = pairName(o.HubMatchKey, o.AppMatchKey)
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", o.ID, o.HubObject, o.ExternalObject, o.Direction,
							match, o.ConflictRule, yesOrNo(o.PropagateDeletes), len(o.HubFilters)+len(o.AppFilters), yesOrNo(o.Enabled), fields(o.Mappings))
					}
					return nil
				})
			})
		},
	})
}

// pairName is hub, or hub=app when the names differ.
func pairName(hubName, appName string) string {
	if hubName == appName {
		return hubName
	}
	return hubName + "=" + appName
}

func yesOrNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// fields lists mappings compactly: the name when both sides share it, the
// field's own direction when it differs from the sync's.
func fields(ms []store.FieldMapping) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = pairName(m.Hub, m.App)
		if m.Direction != "" {
			names[i] += " (" + m.Direction + ")"
		}
	}
	return strings.Join(names, ", ")
}

func (a *app) connectionsSyncNowCmd() *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "sync-now <id> [--follow]",
		Short: "Ask for a sync run now; with --follow wait for it and exit 1 when it fails",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withKnownConnection(ctx, args[0], func(h *hub.Hub, id int64) error {
				// Runs newer than the newest one now are the one asked for
				// (or one that started meanwhile, which serves as well).
				c, err := h.Connections.Get(ctx, id)
				if err != nil {
					return explainError(err)
				}
				if c.Status != connection.StatusActive && c.Status != connection.StatusDegraded {
					return fmt.Errorf("connection %d is %s and does not sync: %s", id, c.Status, c.ReasonMessage)
				}
				before, err := newestRun(ctx, h, id)
				if err != nil {
					return err
				}
				enqueueErr := h.Enqueue(ctx, id, "manual")
				r, found, err := runAfter(ctx, h, id, before.ID)
				if err != nil {
					return err
				}
				if enqueueErr != nil && (!found || r.Status == syncer.RunRunning) {
					return explainError(enqueueErr)
				}
				if follow {
					if r, err = a.follow(ctx, h, id, before.ID); err != nil {
						return err
					}
				} else if !found || r.Status == syncer.RunRunning {
					_, err := fmt.Fprintf(a.stdout, "sync of connection %d queued; see hubsync connections runs %d\n", id, id)
					return err
				}
				if err := a.printJSON(api.NewRunView(r)); err != nil {
					return err
				}
				if r.Status != syncer.RunSucceeded {
					return runFailed(r, enqueueErr)
				}
				return explainError(enqueueErr)
			})
		},
	}
	cmd.Flags().BoolVar(&follow, "follow", false, "wait for the run, showing its progress on standard error")
	return cmd
}

// runFailed is the error of a run that did not succeed: the connector's
// reason and message when the run happened here, else the run's status.
func runFailed(r store.SyncRun, cause error) error {
	if cause != nil {
		return fmt.Errorf("sync run %d %s: %w", r.ID, r.Status, explainError(cause))
	}
	if r.Error != "" {
		return fmt.Errorf("sync run %d %s: %s", r.ID, r.Status, r.Error)
	}
	return fmt.Errorf("sync run %d %s", r.ID, r.Status)
}

// newestRun returns the connection's newest run, if it has one.
func newestRun(ctx context.Context, h *hub.Hub, id int64) (store.SyncRun, error) {
	runs, err := h.Syncer.Runs(ctx, id, 1)
	if err != nil || len(runs) == 0 {
		return store.SyncRun{}, err
	}
	return runs[0], nil
}

// runAfter returns the connection's first run with an id above after: the
// run that took the request.
func runAfter(ctx context.Context, h *hub.Hub, id, after int64) (store.SyncRun, bool, error) {
	runs, err := h.Syncer.Runs(ctx, id, 50)
	if err != nil || len(runs) == 0 || runs[0].ID <= after {
		return store.SyncRun{}, false, err
	}
	first := runs[0]
	for _, r := range runs {
		if r.ID > after && r.ID < first.ID {
			first = r
		}
	}
	return first, true, nil
}

// workHereAfter is how long follow waits for a server to take the run
// before it works the queue itself, so the command also works where no
// hubsync serve runs.
const workHereAfter = 3 * time.Second

// follow waits for a run newer than after to finish, drawing its counts.
func (a *app) follow(ctx context.Context, h *hub.Hub, id, after int64) (store.SyncRun, error) {
	p := &runProgress{w: a.stderr}
	tick := time.NewTicker(followEvery)
	defer tick.Stop()
	waitUntil := time.Now().Add(workHereAfter)
	working := false
	for {
		r, found, err := runAfter(ctx, h, id, after)
		if err != nil {
			p.stop(false)
			return r, err
		}
		if !found && !working && time.Now().After(waitUntil) {
			working = true
			if err := h.Jobs.Start(ctx); err != nil {
				p.stop(false)
				return r, err
			}
		}
		p.show(r, found)
		if found && r.Status != syncer.RunRunning {
			p.stop(r.Status == syncer.RunSucceeded)
			return r, nil
		}
		select {
		case <-ctx.Done():
			p.stop(false)
			return r, ctx.Err()
		case <-tick.C:
		}
	}
}

// runProgress draws a followed run on standard error: a spinner until the
// run has read records, then a bar of records handled out of records read.
type runProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	total int // the bar's length; 0 while it is a spinner
}

func (p *runProgress) show(r store.SyncRun, started bool) {
	var c counts
	desc := "waiting for the run to start"
	if started {
		c = tally(r.Counts)
		desc = fmt.Sprintf("sync run %d: %d read, %d written", r.ID, c.read, c.written)
	}
	if p.bar == nil {
		length := -1
		if c.read > 0 {
			length, p.total = c.read, c.read
		}
		p.bar = progressbar.NewOptions(length,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			// Redrawn at each look instead, so nothing draws after stop.
			progressbar.OptionSetSpinnerChangeInterval(0),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }))
	} else {
		p.bar.Describe(desc)
		if c.read > 0 && c.read != p.total {
			p.total = c.read
			p.bar.ChangeMax(c.read)
		}
	}
	if p.total > 0 {
		p.bar.Set(min(c.handled, p.total))
	} else {
		p.bar.Add(0)
	}
}

// stop ends the drawing: filled when the run succeeded, as it is else.
func (p *runProgress) stop(succeeded bool) {
	if p.bar == nil {
		return
	}
	if succeeded {
		p.bar.Finish()
	} else {
		p.bar.Exit()
	}
}

// counts sums a run's counts over objects and directions.
type counts struct{ read, written, handled int }

func tally(m map[string]int) counts {
	var c counts
	for k, n := range m {
		switch k[strings.LastIndexByte(k, '.')+1:] {
		case "read":
			c.read += n
		case "created", "updated", "archived":
			c.written += n
			c.handled += n
		case "unchanged", "failed", "skipped_filter", "skipped_missing":
			c.handled += n
		}
	}
	return c
}

func (a *app) connectionsRunsCmd() *cobra.Command {
	var limit int
	cmd := a.jsonAlias(&cobra.Command{
		Use:   "runs <id> [--limit 20]",
		Short: "List a connection's sync runs, newest first, with what each wrote",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > syncer.MaxListed {
				return fmt.Errorf("--limit must be 1 to %d", syncer.MaxListed)
			}
			return a.withKnownConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				runs, err := h.Syncer.Runs(cmd.Context(), id, limit)
				if err != nil {
					return err
				}
				out := views(runs, api.NewRunView)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tTRIGGER\tSTATUS\tSTARTED\tDURATION\tSUMMARY")
					for _, r := range out {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Trigger, r.Status, r.StartedAt.Format(time.RFC3339),
							runDuration(r), runSummary(r))
					}
					return nil
				})
			})
		},
	})
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to list")
	return cmd
}

// runDuration is how long a finished run took, or "-".
func runDuration(r api.RunView) string {
	if r.FinishedAt == nil {
		return "-"
	}
	return r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
}

// runSummary is what a run wrote and its error, on one line.
func runSummary(r api.RunView) string {
	summary := summarize(r.Counts)
	switch {
	case r.Error != "" && summary == "":
		return "error: " + r.Error
	case r.Error != "":
		return summary + "; error: " + r.Error
	case summary == "":
		return "no changes"
	}
	return summary
}

// summaryOutcomes are the counts a run's summary shows, in order.
var summaryOutcomes = []string{"created", "updated", "archived", "failed", "conflicts"}

// summarize shows a run's counts per object and direction, e.g.
// "contacts→app: 2 created, 1 failed; contacts→hub: 1 updated", or
// nothing when the run wrote nothing.
func summarize(m map[string]int) string {
	byFlow := map[string]map[string]int{}
	for k, n := range m {
		parts := strings.SplitN(k, ".", 3)
		if len(parts) != 3 || n == 0 {
			continue
		}
		flow := parts[0] + "→" + strings.TrimPrefix(parts[1], "to_")
		if byFlow[flow] == nil {
			byFlow[flow] = map[string]int{}
		}
		byFlow[flow][parts[2]] += n
	}
	flows := make([]string, 0, len(byFlow))
	for f := range byFlow {
		flows = append(flows, f)
	}
	sort.Strings(flows)
	var out []string
	for _, f := range flows {
		var said []string
		for _, what := range summaryOutcomes {
			if n := byFlow[f][what]; n > 0 {
				said = append(said, strconv.Itoa(n)+" "+what)
			}
		}
		if len(said) > 0 {
			out = append(out, f+": "+strings.Join(said, ", "))
		}
	}
	return strings.Join(out, "; ")
}

func (a *app) connectionsErrorsCmd() *cobra.Command {
	var all bool
	cmd := a.jsonAlias(&cobra.Command{
		Use:   "errors <id> [--all]",
		Short: "List the records a side refused, quarantined until retried (open ones unless --all)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withKnownConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				errs, err := h.Syncer.RecordErrors(cmd.Context(), id, !all, 200)
				if err != nil {
					return err
				}
				out := views(errs, api.NewRecordErrorView)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tREFUSED BY\tHUB ID\tEXTERNAL ID\tREASON\tATTEMPTS\tLAST SEEN\tRESOLVED\tMESSAGE")
					for _, e := range out {
						hubID := "-"
						if e.HubID != 0 {
							hubID = strconv.FormatInt(e.HubID, 10)
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.ID, e.Side, hubID, dash(e.ExternalID), e.Reason, e.Attempts,
							e.LastSeen.Format(time.RFC3339), timeOr(e.ResolvedAt, "-"), e.Message)
					}
					return nil
				})
			})
		},
	})
	cmd.Flags().BoolVar(&all, "all", false, "list resolved errors too")
	return cmd
}

func (a *app) connectionsRetryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "retry <id> <error-id>",
		Short: "Sync a quarantined record again; prints the error, resolved when it went through, and exits 1 when it did not",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			errID, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("error id %q must be a number (see hubsync connections errors %s)", args[1], args[0])
			}
			ctx := cmd.Context()
			return a.withKnownConnection(ctx, args[0], func(h *hub.Hub, id int64) error {
				if err := h.Syncer.Retry(ctx, audit.CLI, id, errID); err != nil {
					return explainError(err)
				}
				errs, err := h.Syncer.RecordErrors(ctx, id, false, 1000)
				if err != nil {
					return err
				}
				for _, e := range errs {
					if e.ID != errID {
						continue
					}
					if err := a.printJSON(api.NewRecordErrorView(e)); err != nil {
						return err
					}
					if e.ResolvedAt.IsZero() {
						return fmt.Errorf("record error %d is still open: %s: %s", e.ID, e.Reason, e.Message)
					}
					return nil
				}
				return fmt.Errorf("record error %d: %w", errID, store.ErrNotFound)
			})
		},
	}
}

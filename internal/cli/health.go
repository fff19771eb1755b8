package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub"
)

func (a *app) connectionsHealthCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "health <id>",
		Short: "Show per object sync how many records are in sync, excluded by a filter (last 7 days) and failing, and the failing ones by kind",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withKnownConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				health, err := h.Syncer.Health(cmd.Context(), id)
				if err != nil {
					return explainError(err)
				}
				v := api.NewHealthView(health)
				return a.render(v, func(w io.Writer) error {
					fmt.Fprintln(w, "SYNC\tOBJECT\tEXTERNAL\tENABLED\tIN SYNC\tEXCLUDED\tFAILING")
					for _, o := range v.Objects {
						fmt.Fprintf(w, "%d\t%s\t%s\t%t\t%d\t%d\t%d\n", o.SyncID, o.HubObject, o.ExternalObject, o.Enabled, o.InSync,
							o.ExcludedByFilter, o.Failing)
					}
					if len(v.ErrorGroups) > 0 {
						fmt.Fprintln(w, "\nFAILING\tREASON\tEXAMPLE")
						for _, g := range v.ErrorGroups {
							fmt.Fprintf(w, "%d\t%s\t%s\n", g.Count, g.Reason, g.Records[0].Message)
						}
					}
					return nil
				})
			})
		},
	})
}

func (a *app) connectionsRetryErrorsCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "retry-errors <id> --reason R",
		Short: "Sync again every quarantined record of one kind of error; exits 1 when some still fail",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return fmt.Errorf("give --reason: the kind of record error to retry (see hubsync connections health %s)", args[0])
			}
			ctx := cmd.Context()
			return a.withKnownConnection(ctx, args[0], func(h *hub.Hub, id int64) error {
				retried, resolved, err := h.Syncer.RetryGroup(ctx, audit.CLI, id, reason)
				if err != nil {
					return explainError(err)
				}
				out := map[string]any{"reason": reason, "retried": retried, "resolved": resolved, "still_failing": retried - resolved}
				if err := a.printJSON(out); err != nil {
					return err
				}
				if resolved < retried {
					return fmt.Errorf("%d of %d %s records still fail", retried-resolved, retried, reason)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "the kind of record error, as health or errors lists it")
	return cmd
}

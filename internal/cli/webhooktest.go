package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub"
)

func webhookID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("webhook id %q must be a number (see hubsync webhooks list)", arg)
	}
	return id, nil
}

func (a *app) webhooksTestCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "test <id>",
		Short: "Queue a signed test event for a webhook; the running server delivers it (see webhooks deliveries)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := webhookID(args[0])
			if err != nil {
				return err
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				d, err := h.Webhooks.SendTest(cmd.Context(), audit.CLI, id)
				if err != nil {
					return err
				}
				out := api.NewDeliveryView(d)
				return a.render(out, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "test event queued for webhook %d as delivery %d\n", id, out.ID)
					return err
				})
			})
		},
	})
}

func (a *app) webhooksDeliveriesCmd() *cobra.Command {
	var limit int
	cmd := a.jsonAlias(&cobra.Command{
		Use:   "deliveries <id> [--limit 20]",
		Short: "List a webhook's recent deliveries, newest first, with the receiver's answers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := webhookID(args[0])
			if err != nil {
				return err
			}
			if limit < 1 || limit > audit.MaxListLimit {
				return fmt.Errorf("--limit must be 1 to %d", audit.MaxListLimit)
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				ds, err := h.Webhooks.Deliveries(cmd.Context(), id, limit)
				if err != nil {
					return err
				}
				out := views(ds, api.NewDeliveryView)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tEVENT\tSTATE\tATTEMPTS\tSTATUS\tERROR\tCREATED")
					for _, d := range out {
						code := "-"
						if d.StatusCode != 0 {
							code = strconv.Itoa(d.StatusCode)
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Event, d.State, d.Attempts, code,
							dash(d.LastError), d.CreatedAt.Format(time.RFC3339))
					}
					return nil
				})
			})
		},
	})
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many deliveries")
	return cmd
}

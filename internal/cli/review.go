package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/store"
)

func (a *app) reviewCmd() *cobra.Command {
	var staleDays int
	cmd := a.jsonAlias(&cobra.Command{
		Use:   "review [--stale-days 90]",
		Short: "Report every connection with its owner and what an access review looks for",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if staleDays < 1 {
				return errors.New("--stale-days must be a positive whole number")
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				rows, err := h.Connections.Review(cmd.Context(), time.Duration(staleDays)*24*time.Hour)
				if err != nil {
					return err
				}
				out := api.NewReviewView(rows)
				return a.render(out, func(w io.Writer) error {
					if len(out) == 0 {
						fmt.Fprintln(w, "No connections to review.")
						return nil
					}
					fmt.Fprintln(w, "ID\tNAME\tPROVIDER\tSTATUS\tMODE\tOWNER\tOWNER STATUS\tOWNER ROLE\tLAST USED\tLAST SUCCESS\tLAST REVIEWED\tREVIEWED BY\tFLAGS")
					for _, r := range out {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ConnectionID, r.Name, r.Provider,
							statusText(r.Status, r.Reason), r.AuthMode, dash(r.Owner), dash(r.OwnerStatus), dash(r.OwnerRole),
							timeOr(r.LastUsedAt, "never"), timeOr(r.LastSuccessAt, "never"), timeOr(r.LastReviewedAt, "never"),
							dash(r.LastReviewedBy), dash(strings.Join(r.Flags, ",")))
					}
					return nil
				})
			})
		},
	})
	cmd.Flags().IntVar(&staleDays, "stale-days", 90, "a connection unused for this many days is flagged stale")
	cmd.AddCommand(a.reviewMarkCmd(), a.reviewIntervalCmd())
	return cmd
}

func (a *app) reviewMarkCmd() *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "mark <connection> [--note N]",
		Short: "Record that the connection was reviewed: still wanted and in the right hands",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withConnection(cmd.Context(), args[0], func(h *hub.Hub, id int64) error {
				r, err := h.Connections.MarkReviewed(cmd.Context(), audit.CLI, id, note)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewConnectionReviewView(r))
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "what the review checked")
	return cmd
}

func (a *app) reviewIntervalCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "interval [days]",
		Short: "Show or set how many days a connection may go unreviewed before it is flagged review_overdue",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if len(args) == 1 {
					days, err := strconv.Atoi(args[0])
					if err != nil {
						return fmt.Errorf("days %q must be a whole number", args[0])
					}
					if err := h.Connections.SetReviewInterval(cmd.Context(), audit.CLI, days); err != nil {
						return err
					}
				}
				d, err := h.Connections.ReviewInterval(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "review interval: %d days\n", int(d/(24*time.Hour)))
				return nil
			})
		},
	}
}

// statusText is a status with its reason code, if it has one.
func statusText(status, reason string) string {
	if reason == "" {
		return status
	}
	return status + " (" + reason + ")"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) auditCmd() *cobra.Command {
	var q store.AuditQuery
	var since, until string
	cmd := a.jsonAlias(&cobra.Command{
		Use:   "audit [--actor E] [--action A] [--since 7d] [--until T] [--target-type connection] [--target-id 3] [--limit 50] [--before SEQ]",
		Short: "Show the audit log, newest first: who did what to which connection, app or webhook",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.Limit < 1 || q.Limit > audit.MaxListLimit {
				return fmt.Errorf("--limit must be 1 to %d", audit.MaxListLimit)
			}
			var err error
			if q.Since, q.Until, err = audit.ParseRange(since, until, time.Now()); err != nil {
				return err
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				events, err := h.Audit.List(cmd.Context(), q)
				if err != nil {
					return err
				}
				out := api.NewAuditViews(events)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "SEQ\tAT\tACTOR\tACTION\tTARGET\tCHANGES")
					for _, e := range out {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s %s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Actor, e.Action,
							e.TargetType, e.TargetID, changes(e.Before, e.After))
					}
					return nil
				})
			})
		},
	})
	fl := cmd.Flags()
	fl.StringVar(&q.TargetType, "target-type", "", "only events about this kind of target: connection, integration, webhook, …")
	fl.StringVar(&q.TargetID, "target-id", "", "only events about this target id")
	fl.StringVar(&q.Actor, "actor", "", "only events by this actor: a user's email, cli or system")
	fl.StringVar(&q.Action, "action", "", "only this action (connection.pause), or every action of a kind when it ends with a dot (connection.)")
	fl.StringVar(&since, "since", "", "only events at or after: a time (2026-12-03T14:00:00Z), a date (2026-12-03) or a time ago (24h, 7d)")
	fl.StringVar(&until, "until", "", "only events before: a time, a date (up to the end of that day) or a time ago")
	fl.IntVar(&q.Limit, "limit", 50, "at most this many events")
	fl.Int64Var(&q.BeforeSeq, "before", 0, "only events older than this sequence number, to page")
	return cmd
}

// changes is an event's before and after on one line: what changed, what
// was set, what was removed.
func changes(before, after map[string]string) string {
	union := maps.Clone(after)
	if union == nil {
		union = map[string]string{}
	}
	maps.Copy(union, before)
	keys := slices.Sorted(maps.Keys(union))
	var parts []string
	for _, k := range keys {
		b, hadB := before[k]
		v, hasA := after[k]
		switch {
		case !hadB:
			parts = append(parts, k+"="+v)
		case !hasA:
			parts = append(parts, k+": "+b+" → (none)")
		case b != v:
			parts = append(parts, k+": "+b+" → "+v)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

func (a *app) webhooksCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "webhooks", Short: "Manage signed webhooks that say when a connection breaks or recovers"}
	cmd.AddCommand(a.webhooksCreateCmd(), a.webhooksListCmd(), a.webhooksDeleteCmd(), a.webhooksTestCmd(), a.webhooksDeliveriesCmd())
	return cmd
}

func (a *app) webhooksCreateCmd() *cobra.Command {
	var url string
	var events []string
	cmd := &cobra.Command{
		Use:   "create --url U [--events " + strings.Join(audit.EventKinds, ",") + "]",
		Short: "Subscribe a URL; prints the signing secret, shown only now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				w, secret, err := h.Webhooks.Create(cmd.Context(), audit.CLI, url, events)
				if err != nil {
					return err
				}
				return a.printJSON(api.NewWebhookView(w, secret))
			})
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "where to POST the events")
	cmd.Flags().StringSliceVar(&events, "events", nil, "events to send: "+strings.Join(audit.EventKinds, ", ")+" (default: all)")
	cmd.MarkFlagRequired("url")
	return cmd
}

func (a *app) webhooksListCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "list",
		Short: "List webhooks (their secrets are never shown again)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				hooks, err := h.Webhooks.List(cmd.Context())
				if err != nil {
					return err
				}
				out := views(hooks, func(w store.Webhook) api.WebhookView { return api.NewWebhookView(w, "") })
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tURL\tEVENTS\tCREATED")
					for _, hook := range out {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", hook.ID, hook.URL, strings.Join(hook.Events, ","), hook.CreatedAt.Format(time.RFC3339))
					}
					return nil
				})
			})
		},
	})
}

func (a *app) webhooksDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <id>",
		Short: "Delete a webhook; nothing more is sent to it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("webhook id %q must be a number (see hubsync webhooks list)", args[0])
			}
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if err := h.Webhooks.Delete(cmd.Context(), audit.CLI, id); err != nil {
					return explainError(err)
				}
				fmt.Fprintf(a.stdout, "webhook %d deleted\n", id)
				return nil
			})
		},
	}
}

package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/hub"
)

func (a *app) connectionsAttentionCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "attention",
		Short: "List the connections that need a person: why, since when and the next step",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				at, err := h.Connections.Attention(cmd.Context(), nil)
				if err != nil {
					return err
				}
				out := api.NewAttentionView(at)
				return a.render(out, func(w io.Writer) error {
					fmt.Fprintf(w, "%d connection(s): %s\n", out.Total, countsText(out.Counts))
					if len(out.Results) == 0 {
						fmt.Fprintln(w, "Nothing needs attention.")
						return nil
					}
					fmt.Fprintln(w, "ID\tNAME\tSTATUS\tWHY\tSINCE\tNEXT STEP")
					for _, r := range out.Results {
						for i, c := range r.Concerns {
							id, name, status := fmt.Sprint(r.ConnectionID), r.Name, r.Status
							if i > 0 {
								id, name, status = "", "", ""
							}
							fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", id, name, status, c.Sentence, timeOr(c.Since, "-"), dash(c.NextStep))
						}
					}
					return nil
				})
			})
		},
	})
}

// countsText is connections by status, as "2 active, 1 needs_reconnect".
func countsText(counts map[string]int) string {
	var parts []string
	for status, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, status))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

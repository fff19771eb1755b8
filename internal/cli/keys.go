package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/vault"
)

func (a *app) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the vault keyset outbound credentials are sealed with",
		Long: `Manage the vault keyset (--vault-keyset-file) that seals outbound credentials.
Whoever can read that file can read every credential: keep it owner-only and
back it up apart from the database. Every replica needs the same file.

To rotate: "hubsync keys rotate" adds a new primary key and re-seals every
stored value under it while the server keeps running; then
"hubsync keys retire <old id>" removes the old key.`,
	}
	cmd.AddCommand(a.keysListCmd(), a.keysRotateCmd(), a.keysResealCmd(), a.keysRetireCmd())
	return cmd
}

// keyRow is one line of "keys list".
type keyRow struct {
	vault.KeyInfo
	// InUse counts stored values sealed with the key.
	InUse int `json:"in_use"`
}

func (a *app) keysListCmd() *cobra.Command {
	return a.jsonAlias(&cobra.Command{
		Use:   "list",
		Short: "List the keys and how many stored values each one seals",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				used, err := vault.InUse(cmd.Context(), h.Store, h.Vault)
				if err != nil {
					return err
				}
				rows := keyRows(h.Vault.Keys(), used)
				return a.render(rows, func(w io.Writer) error {
					fmt.Fprintln(w, "ID\tPRIMARY\tSTATUS\tCIPHERTEXTS")
					for _, r := range rows {
						primary := ""
						if r.Primary {
							primary = "yes"
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%d\n", r.ID, primary, r.Status, r.InUse)
					}
					return nil
				})
			})
		},
	})
}

// keyRows joins the keyset with the use counts. Values sealed with a key
// the keyset lacks show as "missing": they cannot be opened.
func keyRows(keys []vault.KeyInfo, used map[uint32]int) []keyRow {
	rows := make([]keyRow, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, keyRow{KeyInfo: k, InUse: used[k.ID]})
	}
	var missing []uint32
	for id := range used {
		if !slices.ContainsFunc(keys, func(k vault.KeyInfo) bool { return k.ID == id }) {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	for _, id := range missing {
		rows = append(rows, keyRow{KeyInfo: vault.KeyInfo{ID: id, Status: "missing"}, InUse: used[id]})
	}
	return rows
}

func (a *app) keysRotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate",
		Short: "Add a new primary key and re-seal every stored value under it (online)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				info, err := h.Vault.Rotate()
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "new primary key %d\n", info.ID)
				return a.reseal(cmd.Context(), h)
			})
		},
	}
}

func (a *app) keysResealCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reseal",
		Short: "Re-seal stored values that are not under the primary key (finishes an interrupted rotate)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				return a.reseal(cmd.Context(), h)
			})
		},
	}
}

// reseal runs vault.Reseal with a progress bar on stderr, then prints what
// it did and which keys can now be retired.
func (a *app) reseal(ctx context.Context, h *hub.Hub) error {
	var bar *progressbar.ProgressBar
	stats, err := vault.Reseal(ctx, h.Store, h.Vault, func(done, total int) {
		if total == 0 {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(a.stderr),
				progressbar.OptionSetDescription("re-sealing"),
				progressbar.OptionShowCount(),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(a.stderr) }))
		}
		bar.Set(done)
	})
	if err != nil {
		return fmt.Errorf("%w (values done so far stay done; run hubsync keys reseal to continue)", err)
	}
	fmt.Fprintf(a.stdout, "re-sealed %d values: %d integration secrets, %d connection credentials, %d connect attempts, %d webhook secrets, %d credentials awaiting revocation; %d skipped\n",
		stats.Resealed(), stats.Integrations, stats.Connections, stats.Attempts, stats.Webhooks, stats.Revokes, stats.Skipped)
	used, err := vault.InUse(ctx, h.Store, h.Vault)
	if err != nil {
		return err
	}
	for _, k := range h.Vault.Keys() {
		switch {
		case k.Primary:
		case used[k.ID] == 0:
			fmt.Fprintf(a.stdout, "key %d seals nothing now; retire it with: hubsync keys retire %d\n", k.ID, k.ID)
		default:
			// A writer that had not yet seen the new primary sealed with it.
			fmt.Fprintf(a.stdout, "key %d still seals %d values; run hubsync keys reseal again before retiring it\n", k.ID, used[k.ID])
		}
	}
	return nil
}

func (a *app) keysRetireCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "retire <id>",
		Short: "Remove a key that no stored value uses any more",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseUint(args[0], 10, 32)
			if err != nil {
				return fmt.Errorf("key id %q must be a number (see hubsync keys list)", args[0])
			}
			id := uint32(n)
			return a.withHub(cmd.Context(), func(h *hub.Hub) error {
				if h.Vault.Primary() == id {
					return fmt.Errorf("key %d is the primary key; rotate first (hubsync keys rotate)", id)
				}
				used, err := vault.InUse(cmd.Context(), h.Store, h.Vault)
				if err != nil {
					return err
				}
				if used[id] > 0 {
					return fmt.Errorf("key %d still seals %d stored values; run hubsync keys reseal first", id, used[id])
				}
				switch err := h.Vault.Retire(id); {
				case errors.Is(err, vault.ErrNoKey):
					return fmt.Errorf("key %d is not in the keyset (see hubsync keys list)", id)
				case errors.Is(err, vault.ErrPrimary):
					return fmt.Errorf("key %d is the primary key; rotate first (hubsync keys rotate)", id)
				case err != nil:
					return err
				}
				fmt.Fprintf(a.stdout, "key %d retired\n", id)
				return nil
			})
		},
	}
}

package cli

import (
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/bench"
)

func (a *app) benchCmd() *cobra.Command {
	var (
		o    bench.Options
		only string
	)
	cmd := &cobra.Command{
		Use:   "bench [--quick] [--million] [--database-url URL] [--output json]",
		Short: "Measure this machine: the standard scenarios through real hubsync serve processes, beside raw baselines, as one table",
		Long: `Measure this machine: hub→hub and hub→PostgreSQL initial syncs, CRM batch create, GET by id with
a private app and an OAuth token, the refresh grant, search by email and propagation each way, each
through hubsync serve processes started here, beside the raw baselines of the same run (SQLite and
pgx multi-row writes, the loopback HTTP hop with the same JSON) and the performance targets.

The hubs live in a temporary directory removed at the end; the PostgreSQL scenarios run with
--database-url, each in a fresh schema of that database, dropped at the end. The progress bar is on
standard error, the table (or --output json) on standard output; a scenario that fails is reported
and the others still run, and the command then exits 1. A full run takes a quarter of an hour or
so (more with --million, which also needs a few GB of disk); --quick about a minute.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			o.DatabaseURL, o.Progress = a.cfg.DatabaseURL, a.stderr
			if only != "" {
				re, err := regexp.Compile(only)
				if err != nil {
					return fmt.Errorf("--only: %w", err)
				}
				o.Only = re
			}
			if o.ProfileDir != "" {
				if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
					return err
				}
			}
			rep, err := bench.Run(ctx, o)
			if rep != nil {
				if a.output == outputJSON {
					if perr := rep.WriteJSON(a.stdout); perr != nil {
						return perr
					}
				} else if perr := rep.WriteTable(a.stdout); perr != nil {
					return perr
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Quick, "quick", false, "small sizes and few samples, about a minute")
	f.BoolVar(&o.Million, "million", false, "add the 1,000,000-record initial syncs")
	f.IntVar(&o.Records, "records", 0, "size every scenario to about this many records, with few samples (for testing the command)")
	f.StringVar(&o.TempDir, "temp-dir", "", "where to make the run's temporary directory (default: the system's)")
	f.StringVar(&only, "only", "", "run just the scenarios whose names match this regular expression")
	f.StringVar(&o.ProfileDir, "profile-dir", "", "have every hub write a CPU profile of its run into this directory")
	f.MarkHidden("records")
	return cmd
}

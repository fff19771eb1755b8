package cli

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hubsync/hubsync/internal/demo"
	"github.com/hubsync/hubsync/internal/hub"
)

func (a *app) demoCmd() *cobra.Command {
	o := demo.Options{}
	var walk bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run two hubs, Acme CRM and ours, connected and syncing, and the story of a connection that breaks and is repaired",
		Long: `demo starts two hubs in this process, each on its own loopback port with its own data
directory under --dir: "Acme CRM", playing the external app, and "our hub". The first run seeds
both with contacts, companies and deals, creates people (printed with their passwords), connects
our hub to Acme through Acme's consent page, syncs all three objects both ways and runs the first
sync. Later runs reuse the data and set the stage again, so the story can be played again
(--reset starts over). It then prints both URLs, the sign-ins and the story to follow in the
browser, and serves until interrupted.

With --walk it plays the story by itself instead, narrating each step with its timing, and exits
0, or non-zero naming the step that failed.

The global data, database and key flags do not apply: the demo keeps everything under --dir, on
SQLite.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			o.Out = a.stdout
			return a.demo(ctx, o, walk)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", demo.DefaultDir, "directory that holds both hubs' data")
	f.BoolVar(&o.Reset, "reset", false, "delete what an earlier demo left in --dir and start over")
	f.IntVar(&o.Port, "port", demo.DefaultPort, "our hub's port on 127.0.0.1 (0 picks a free one)")
	f.IntVar(&o.AcmePort, "acme-port", demo.DefaultAcmePort, "Acme CRM's port, on 127.0.0.1 under the name localhost (0 picks a free one)")
	f.IntVar(&o.Records, "records", demo.DefaultRecords, "contacts, companies and deals each hub is seeded with (of each)")
	f.BoolVar(&walk, "walk", false, "play the story by itself, narrating each step, then exit")
	return cmd
}

func (a *app) demo(ctx context.Context, o demo.Options, walk bool) (err error) {
	hub.TuneGC()
	d, err := demo.Start(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}()
	if walk {
		return d.Walk(ctx)
	}
	if err := d.PrintStory(ctx, a.stdout); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "\nServing both hubs; press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(a.stdout, "Stopping.")
	return nil
}

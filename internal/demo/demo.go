// Package demo owns hubsync's demonstration: two hubs in one process, "Acme
// CRM" playing the external app and "our hub" connected to it, set up with
// people, records and a two-way sync, and the story of a connection that
// breaks when its connector user leaves and is repaired by another admin.
// It sets the stage (stage.go), tells a person how to play the story in the
// browser (story.go), or plays it by itself (walk.go). It holds no rules:
// every step calls the same services and HTTP endpoints as the console, the
// admin API and the CLI.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Defaults of the demo's options.
const (
	DefaultDir      = "./hubsync-demo"
	DefaultPort     = 8080
	DefaultAcmePort = 8081
	DefaultRecords  = 250
)

// Options say where the demo keeps its data and serves its hubs.
type Options struct {
	// Dir holds both hubs' data directories and the demo's sign-ins.
	Dir string
	// Reset deletes what an earlier demo left in Dir and starts over.
	Reset bool
	// Port and AcmePort are our hub's and Acme's loopback ports; 0 picks a
	// free one.
	Port, AcmePort int
	// Records is how many contacts, companies and deals each hub is seeded
	// with (each).
	Records int
	// Out is where the demo tells what it does.
	Out io.Writer
}

// Demo is the two hubs, running, with the stage set.
type Demo struct {
	Acme, Ours *Side
	// ConnectionID is our hub's connection to Acme.
	ConnectionID int64
	// Reused says the data came from an earlier run.
	Reused bool

	dir   string
	out   io.Writer
	begun time.Time
	// seededAt is when this run seeded the hubs; zero when it reused them.
	seededAt time.Time
	signIns  signIns
	// editors are each side's private-app tokens for the CRM API.
	editors map[*Side]string
}

// Start opens and serves both hubs and sets the stage, reusing what an
// earlier run left in o.Dir unless o.Reset. The hubs' background work runs
// from then on; Close stops everything.
func Start(ctx context.Context, o Options) (*Demo, error) {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	if o.Records <= 0 {
		o.Records = DefaultRecords
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	d := &Demo{dir: o.Dir, out: o.Out, begun: time.Now(), editors: map[*Side]string{}}
	if o.Reset {
		if err := reset(o.Dir); err != nil {
			return nil, err
		}
	}
	var err error
	if d.Acme, err = openSide(ctx, "Acme CRM", "acme.example", "localhost", filepath.Join(o.Dir, "acme"), o.AcmePort); err != nil {
		return nil, err
	}
	if d.Ours, err = openSide(ctx, "our hub", "our.example", "127.0.0.1", filepath.Join(o.Dir, "ours"), o.Port); err != nil {
		d.Acme.close()
		return nil, err
	}
	d.say("Acme CRM serves at %s and our hub at %s, their data under %s", d.Acme.URL, d.Ours.URL, o.Dir)
	if err := d.setStage(ctx, o.Records); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	d.Acme.start()
	d.Ours.start()
	return d, nil
}

// Close stops both hubs.
func (d *Demo) Close() error {
	var err error
	for _, s := range []*Side{d.Ours, d.Acme} {
		if s != nil {
			err = errors.Join(err, s.close())
		}
	}
	return err
}

// say narrates one step with the time since the demo began.
func (d *Demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "[+%.1fs] %s\n", time.Since(d.begun).Seconds(), fmt.Sprintf(format, args...))
}

// reset deletes an earlier demo's directory. It deletes only a directory
// that holds nothing but a demo's files, so a mistyped --dir cannot wipe
// something else.
func reset(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	ours := map[string]bool{"acme": true, "ours": true, signInsFile: true, stageFile: true}
	for _, e := range entries {
		if !ours[e.Name()] {
			return fmt.Errorf("--reset: %s holds %s, which the demo did not make; not deleting it (choose another --dir)", dir, e.Name())
		}
	}
	return os.RemoveAll(dir)
}

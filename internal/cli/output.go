package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Output formats every list and show command takes with --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// checkOutput refuses an --output value no command understands.
func (a *app) checkOutput() error {
	switch a.output {
	case outputTable, outputJSON:
		return nil
	}
	return fmt.Errorf("--output %q: use json or table", a.output)
}

// render prints v as JSON under --output json; otherwise table writes the
// readable form into an aligned writer.
func (a *app) render(v any, table func(w io.Writer) error) error {
	if a.output == outputJSON {
		return a.printJSON(v)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	if err := table(tw); err != nil {
		return err
	}
	return tw.Flush()
}

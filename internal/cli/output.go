package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Output formats every list and show command takes with --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// checkOutput refuses an --output value no command understands, and
// takes the old --json for --output json.
func (a *app) checkOutput() error {
	if a.legacyJSON {
		fmt.Fprintln(a.stderr, "note: --json is deprecated; use --output json")
		a.output = outputJSON
	}
	switch a.output {
	case outputTable, outputJSON:
		return nil
	}
	return fmt.Errorf("--output %q: use json or table", a.output)
}

// jsonAlias keeps --json working on the commands that had it, hidden: it
// is --output json under its old name, so scripts written for it go on.
func (a *app) jsonAlias(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().BoolVar(&a.legacyJSON, "json", false, "print JSON (deprecated: use --output json)")
	_ = cmd.Flags().MarkHidden("json")
	return cmd
}

// field is one line of a show command's table: a name and its value.
type field struct{ name, value string }

// printFields writes fields one a line, the values aligned; fields without
// a value are left out.
func printFields(w io.Writer, fields []field) {
	for _, f := range fields {
		if f.value != "" {
			fmt.Fprintf(w, "%s:\t%s\n", f.name, f.value)
		}
	}
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

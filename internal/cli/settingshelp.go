package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/hub"
)

// settingsHelp lists, for --help, the settings of every provider that
// flag gives (--config: a connection's, --setting: an integration's), with
// their defaults.
func settingsHelp(flag string) string {
	of := connector.OfConnection
	if flag == "--setting" {
		of = connector.OfIntegration
	}
	var b strings.Builder
	for _, p := range connection.Providers() {
		fmt.Fprintf(&b, "\n%s settings (%s key=value) and their defaults:\n", p, flag)
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, s := range hub.ProviderSettings(p) {
			if s.Of&of != 0 {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, s.Default, s.Help)
			}
		}
		tw.Flush()
	}
	return b.String()
}

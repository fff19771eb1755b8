// Command hubsync runs the hub and its admin verbs.
package main

import (
	"context"
	"os"

	"github.com/hubsync/hubsync/internal/cli"
)

func main() {
	os.Exit(cli.Execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

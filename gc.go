package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// runGC is "artigraph gc": garbage collection from the command line, with the
// server's flags besides its own. The embedded store allows one process at a
// time, so stop the server first, or use the gc mutation while it runs.
func runGC(args []string) int { return gcCommand(args, os.Getenv, os.Stdout, os.Stderr) }

func gcCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("artigraph gc", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dryRun := fset.Bool("dry-run", false, "list orphans without removing them")
	grace := fset.Duration("grace", lineage.DefaultGCGrace, "spare blobs younger than this (an upload may be in flight)")
	config := configFlags(fset, getenv)
	if err := fset.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2 // the flag package has said what was wrong
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "artigraph gc: unexpected arguments %q\n", fset.Args())
		return 2
	}
	cfg, err := config()
	if err != nil {
		fmt.Fprintln(stderr, "artigraph gc:", err)
		return 2
	}
	m, err := openStores(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "artigraph gc:", err)
		return 1
	}
	defer m.Close()
	rep, err := m.Service.GC(lineage.AsOperator(context.Background()), lineage.GCOptions{Grace: *grace, DryRun: *dryRun})
	if err != nil {
		fmt.Fprintln(stderr, "artigraph gc:", err)
		return 1
	}
	for _, o := range rep.Orphans {
		fmt.Fprintf(stdout, "orphan\t%s\t%d bytes\t%s\n", o.Location, o.Size, o.Updated.Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "scanned %d blobs under %d roots, %d orphans, %d removed\n", rep.Scanned, len(rep.Roots), len(rep.Orphans), rep.Removed)
	return 0
}

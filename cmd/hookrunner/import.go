package main

import (
	"flag"
	"io"

	"github.com/hookrunner/hookrunner/importer"
)

func importCmd(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	from := fs.String("from", "webhook", "the tool the config comes from: webhook (adnanh/webhook)")
	strict := fs.Bool("strict", false, "refuse the import when any hook behaves differently (every warning is an error)")
	report := fs.String("report", "", "also write the import report (hooks, what each became, differences) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := importer.Options{From: *from, Strict: *strict, Report: *report}
	if fs.NArg() == 1 {
		opts.Path = fs.Arg(0)
	}
	return importer.Run(opts, out, errOut)
}

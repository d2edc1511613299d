package main

import (
	"fmt"
	"io"
	"os"

	"github.com/hookrunner/hookrunner/importer"
	"github.com/hookrunner/hookrunner/ops"
)

type importCmd struct {
	configFlag
	From   string `enum:"webhook,export" default:"webhook" help:"What the file is: webhook (an adnanh/webhook config, converted to hooks.yaml on stdout) or export (the output of hookrunner export, loaded into the store of --config)."`
	Strict bool   `help:"--from webhook: refuse the import when any hook would behave differently (a warning is an error; documented notes are not)."`
	Report string `placeholder:"FILE" help:"--from webhook: also write the import report (each hook, what it became, its differences) to this file."`
	File   string `arg:"" complete:"file" help:"Its hooks.json or hooks.yaml; for --from export the .jsonl file (- for stdin)."`
}

func (c *importCmd) Run(e *env) error {
	if c.From == "export" {
		return c.restore(e)
	}
	// A refused import writes nothing to stdout: no partial hooks.yaml
	// that could be redirected into place and loaded.
	return importer.Run(importer.Options{From: c.From, Strict: c.Strict, Report: c.Report, Path: c.File}, e.stdout, e.stderr)
}

// restore loads an export into the store of --config.
func (c *importCmd) restore(e *env) error {
	var in io.Reader = os.Stdin
	if c.File != "-" {
		f, err := os.Open(c.File)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in = f
	}
	cl, err := ops.Open(e.ctx, c.Config, "", "")
	if err != nil {
		return err
	}
	defer cl.Close()
	e.out.use(cl.Redactor)
	st, err := cl.Import(e.ctx, in)
	fmt.Fprintf(e.out, "imported %d events (%d read, %d already stored)\n", st.Added, st.Read, st.Read-st.Added)
	return err
}

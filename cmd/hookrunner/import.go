package main

import "github.com/hookrunner/hookrunner/importer"

type importCmd struct {
	From   string `enum:"webhook" default:"webhook" help:"The tool the config comes from: webhook (adnanh/webhook)."`
	Strict bool   `help:"Refuse the import when any hook would behave differently (a warning is an error; documented notes are not)."`
	Report string `placeholder:"FILE" help:"Also write the import report (each hook, what it became, its differences) to this file."`
	File   string `arg:"" complete:"file" help:"Its hooks.json or hooks.yaml."`
}

func (c *importCmd) Run(e *env) error {
	// A refused import writes nothing to stdout: no partial hooks.yaml
	// that could be redirected into place and loaded.
	return importer.Run(importer.Options{From: c.From, Strict: c.Strict, Report: c.Report, Path: c.File}, e.stdout, e.stderr)
}

package main

import (
	"fmt"
	"os"

	"github.com/hookrunner/hookrunner/importer"
)

type importCmd struct {
	From string `enum:"webhook" default:"webhook" help:"The tool the config comes from: webhook (adnanh/webhook)."`
	File string `arg:"" complete:"file" help:"Its hooks.json or hooks.yaml."`
}

func (c *importCmd) Run(e *env) error {
	data, err := os.ReadFile(c.File)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// A refused import writes nothing to stdout: no partial hooks.yaml
	// that could be redirected into place and loaded.
	res, err := importer.FromWebhook(data)
	if err != nil {
		return fmt.Errorf("import %s: %w", c.File, err)
	}
	fmt.Fprint(e.stdout, res.YAML)
	loud := map[string]bool{}
	for _, w := range res.Unverified {
		loud[w] = true
	}
	for _, w := range res.Warnings {
		if loud[w] {
			fmt.Fprintln(e.stderr, "WARNING: UNVERIFIED SOURCE:", w)
		} else {
			fmt.Fprintln(e.stderr, "warning:", w)
		}
	}
	return nil
}

package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hookrunner/hookrunner/importer"
)

func importCmd(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	from := fs.String("from", "webhook", "the tool the config comes from: webhook (adnanh/webhook)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from != "webhook" || fs.NArg() != 1 {
		return fmt.Errorf("usage: hookrunner import --from webhook hooks.json|hooks.yaml > hooks.yaml")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// A refused import writes nothing to out: no partial hooks.yaml that
	// could be redirected into place and loaded.
	res, err := importer.FromWebhook(data)
	if err != nil {
		return fmt.Errorf("import %s: %w", fs.Arg(0), err)
	}
	fmt.Fprint(out, res.YAML)
	loud := map[string]bool{}
	for _, w := range res.Unverified {
		loud[w] = true
	}
	for _, w := range res.Warnings {
		if loud[w] {
			fmt.Fprintln(errOut, "WARNING: UNVERIFIED SOURCE:", w)
		} else {
			fmt.Fprintln(errOut, "warning:", w)
		}
	}
	return nil
}

package importer

import (
	"fmt"
	"io"
	"os"
)

// Options are those of `hookrunner import`.
type Options struct {
	From   string // "webhook"
	Path   string // the config to convert
	Strict bool   // every difference is an error
	Report string // also write the import report to this file
}

// Run converts opts.Path, writes hooks.yaml to out, and the warnings and
// the import report to errOut (and opts.Report). A refused import, or any
// difference under Strict, writes nothing to out and returns the error.
func Run(opts Options, out, errOut io.Writer) error {
	if opts.From != "webhook" || opts.Path == "" {
		return fmt.Errorf("usage: hookrunner import --from webhook [--strict] [--report FILE] hooks.json|hooks.yaml > hooks.yaml")
	}
	data, err := os.ReadFile(opts.Path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	res, err := FromWebhook(data)
	if err != nil {
		return fmt.Errorf("import %s: %w", opts.Path, err)
	}
	report := res.Report()
	if opts.Report != "" {
		if err := os.WriteFile(opts.Report, []byte(report), 0o644); err != nil {
			return fmt.Errorf("import: write the report: %w", err)
		}
	}
	if opts.Strict {
		if err := res.Strict(); err != nil {
			fmt.Fprint(errOut, report)
			return fmt.Errorf("import %s: %w", opts.Path, err)
		}
	}
	// A refused import writes nothing to out: no partial hooks.yaml that
	// could be redirected into place and loaded.
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
	for _, n := range res.Notes {
		fmt.Fprintln(errOut, "note:", n)
	}
	fmt.Fprint(errOut, "\n"+report)
	return nil
}

package main

import (
	"flag"
	"fmt"
	"github.com/hookrunner/hookrunner/ruleset"
	"io"
	"strings"
)

func validate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	path := fs.String("config", "hooks.yaml", "path to hooks.yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	snap, err := ruleset.Load(*path)
	if err != nil {
		return err
	}
	useRedactor(out, snap.Redactor)
	// What this machine lacks (programs, dirs): ruleset.Check.
	problems, warnings := snap.Check()
	for _, w := range warnings {
		fmt.Fprintf(out, "warning: %s\n", w.Error())
	}
	if len(problems) > 0 {
		return problems
	}
	fmt.Fprintf(out, "%s: OK (config hash %s)\n", *path, snap.Hash)
	for _, w := range snap.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
	fmt.Fprintf(out, "  %d sources:\n", len(snap.Sources))
	for _, name := range snap.Config.SourceNames() {
		src := snap.Sources[name]
		fmt.Fprintf(out, "    POST /hooks/%-20s provider %-16s %d rules\n", name, src.Provider, len(src.Rules()))
	}
	fmt.Fprintf(out, "  %d rules:\n", len(snap.Ordered))
	for _, r := range snap.Ordered {
		events := "any event"
		if len(r.Events) > 0 {
			events = strings.Join(r.Events, ", ")
		}
		kinds := make([]string, len(r.Steps))
		for i, s := range r.Steps {
			kinds[i] = s.Kind
		}
		fmt.Fprintf(out, "    %-24s %s on %s -> %s\n", r.Name, r.Source, events, strings.Join(kinds, ", "))
	}
	return nil
}

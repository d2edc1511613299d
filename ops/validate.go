package ops

import (
	"fmt"
	"io"
	"strings"

	"github.com/hookrunner/hookrunner/ruleset"
)

// WriteValidation prints what `validate` found in the config at path: its
// hash, warnings, sources and rules.
func WriteValidation(w io.Writer, path string, snap *ruleset.Snapshot) {
	fmt.Fprintf(w, "%s: OK (config hash %s)\n", path, snap.Hash)
	for _, warn := range snap.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	fmt.Fprintf(w, "  %d sources:\n", len(snap.Sources))
	for _, name := range snap.Config.SourceNames() {
		src := snap.Sources[name]
		fmt.Fprintf(w, "    POST /hooks/%-20s provider %-16s %d rules\n", name, src.Provider, len(src.Rules()))
	}
	fmt.Fprintf(w, "  %d rules:\n", len(snap.Ordered))
	for _, r := range snap.Ordered {
		events := "any event"
		if len(r.Events) > 0 {
			events = strings.Join(r.Events, ", ")
		}
		kinds := make([]string, len(r.Steps))
		for i, s := range r.Steps {
			kinds[i] = s.Kind
		}
		fmt.Fprintf(w, "    %-24s %s on %s -> %s\n", r.Name, r.Source, events, strings.Join(kinds, ", "))
	}
}

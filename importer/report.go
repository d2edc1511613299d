package importer

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
)

// HookReport is one hook of an import: what it became and every way it
// behaves differently from adnanh/webhook.
type HookReport struct {
	ID          string
	Became      string
	Differences []string
}

// generalNotes are the differences of every imported hook (README,
// "Coming from adnanh/webhook").
var generalNotes = []string{
	"every hook: the command gets a clean environment (PATH, HOME, HOOKRUNNER_*, its HOOK_* variables), not hookrunner's own as adnanh passes its own; add what a script needs under env:",
	"every hook: a command runs at most 10 minutes (timeout:), and a synchronous answer carries at most the last 64 KiB of output (runner.output_limit)",
	"every hook: a request with two different Content-Type headers is refused with 400 (adnanh reads the first)",
	"every hook: a parameter that is JSON null counts as missing; a header or query parameter sent several times reads as its values joined with commas (adnanh reads the first)",
	"every hook: an XML body's namespace prefixes are dropped and element text is trimmed",
}

// describe says what a converted hook became, in one line.
func describe(name, path string, pl *plan, sync bool) string {
	url := "/hooks/" + name
	if path != "" {
		url = "/hooks/" + path
	}
	verify := pl.provider
	for _, l := range pl.lines {
		if v, ok := strings.CutPrefix(l, "verify: "); ok {
			verify += " " + v
		}
		if v, ok := strings.CutPrefix(l, "algorithm: "); ok {
			verify += " " + v
		}
	}
	if len(pl.allowIPs) > 0 {
		verify += ", allow_ips"
	}
	answer := "202 once stored"
	if sync {
		answer = "command output"
	}
	return fmt.Sprintf("POST %s\t%s\t%s\t%s", url, name, verify, answer)
}

// Report is the import report: a table of the hooks, what each became and
// how many differences it has, then the differences hook by hook.
func (r *Result) Report() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOOK\tURL\tSOURCE AND RULE\tVERIFICATION\tANSWER\tDIFFERENCES")
	for _, h := range r.Hooks {
		became := h.Became
		if became == "skipped" {
			became = "skipped\t\t\t"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", h.ID, became, len(h.Differences))
	}
	_ = tw.Flush()
	for _, h := range r.Hooks {
		if len(h.Differences) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\nhook %q:\n", h.ID)
		for _, d := range h.Differences {
			fmt.Fprintf(&b, "  - %s\n", d)
		}
	}
	return b.String()
}

// ErrStrict is returned by Strict when an import has warnings.
var ErrStrict = errors.New("--strict: the import has differences from adnanh/webhook; nothing was written")

// Strict turns every warning of an import into an error.
func (r *Result) Strict() error {
	if len(r.Warnings) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %s", ErrStrict, strings.Join(r.Warnings, "\n  "))
}

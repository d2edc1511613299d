package ops

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/providers"
)

// WriteProviders prints every registered provider's Doc as a table (its
// handshake, where the event type and delivery id come from, how old a
// signed request may be, what it verifies); with names, each one's Doc in
// full with its documentation link and samples.
func WriteProviders(w io.Writer, names []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(names) == 0 {
		// Verification last: its text is long, the other columns stay aligned.
		fmt.Fprintln(tw, "PROVIDER\tHANDSHAKE\tEVENT TYPE\tDELIVERY ID\tREPLAY WINDOW\tVERIFICATION")
		for _, info := range providers.All() {
			d := info.Doc
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", info.Name, plain(d.Handshake), plain(d.Event),
				plain(d.DeliveryID), plain(d.ReplayWindow), plain(d.Verification))
		}
		return tw.Flush()
	}
	for i, name := range names {
		info, ok := providers.Lookup(name)
		if !ok {
			return fmt.Errorf("providers: unknown provider %q%s", name, config.Suggest(name, providers.Names()))
		}
		if i > 0 {
			fmt.Fprintln(tw)
		}
		d := info.Doc
		fmt.Fprintf(tw, "%s\n", info.Name)
		for _, row := range [][2]string{
			{"verification", d.Verification}, {"handshake", d.Handshake}, {"event type", d.Event},
			{"default event", info.DefaultEvent}, {"delivery id", d.DeliveryID}, {"replay window", d.ReplayWindow},
			{"docs", d.Link}, {"samples", strings.Join(providers.Samples(info.Name), ", ")},
		} {
			fmt.Fprintf(tw, "  %s\t%s\n", row[0], plain(row[1]))
		}
	}
	return tw.Flush()
}

// plain is a Doc cell for a terminal: no Markdown backticks, "—" when empty.
func plain(s string) string {
	if s = strings.ReplaceAll(s, "`", ""); s == "" {
		return "—"
	}
	return s
}

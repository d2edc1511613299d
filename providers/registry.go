package providers

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Factory builds a provider from settings, rejecting missing or wrong ones.
type Factory func(Settings) (Provider, error)

// Info is everything hookrunner knows about a provider, given in one place
// by the provider's file: how to build it, its README row and its samples.
type Info struct {
	// Name is what a source's provider: key says ("github").
	Name string
	// New builds the provider from a source's settings.
	New Factory
	// Doc is the provider's row in the README's provider table and in
	// `hookrunner providers`.
	Doc Doc
	// Samples holds the sample payloads `hookrunner send` posts:
	// <event>.json, <event>.form or <event>.xml at its root (nil: none).
	Samples fs.FS
	// DefaultEvent is the provider's most common event type, as the
	// provider names it (its event header or body field: "push",
	// "Push Hook", "repo:push", "orders/create"): what `hookrunner send`
	// sends, with its sample, when no event is given.
	DefaultEvent string
	// Formats are the body formats the sender posts (required): a
	// verified body sent under another media type is refused, so the
	// Content-Type, which nothing signs, cannot choose how signed bytes
	// are read.
	Formats Formats
	// Tolerance is the replay window the sender documents (Twitch: 10
	// minutes), used when the source sets no tolerance: (0: 5 minutes).
	Tolerance time.Duration
}

// Doc describes a provider for people. The fields are Markdown (code in
// backticks); "—" where a column does not apply.
type Doc struct {
	// Verification is what is checked, and how.
	Verification string
	// Handshake is the protocol message answered without a rule.
	Handshake string
	// Event is where the event type comes from.
	Event string
	// DeliveryID is where the delivery id (the dedupe key) comes from.
	DeliveryID string
	// ReplayWindow is how old a signed request may be (a signed timestamp
	// checked against the tolerance), or "—" when nothing signed bounds it
	// (a replay is then caught only by the delivery id dedupe).
	ReplayWindow string
	// Link is the sender's documentation of the scheme.
	Link string
}

var (
	mu       sync.RWMutex
	registry = map[string]Info{}
)

// Register adds a provider; the implementations call it from init.
// Registering a name twice, or without a name or a factory, panics at
// start-up.
func Register(info Info) {
	if info.Name == "" || info.New == nil {
		panic("providers: Register needs a Name and a New")
	}
	if info.Formats == 0 {
		panic("providers: Register of " + info.Name + " needs the Formats its sender posts")
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("providers: duplicate registration of " + info.Name)
	}
	registry[info.Name] = info
}

// Lookup returns the registration of the named provider.
func Lookup(name string) (Info, bool) {
	mu.RLock()
	defer mu.RUnlock()
	info, ok := registry[name]
	return info, ok
}

// New builds the named provider.
func New(name string, s Settings) (Provider, error) {
	info, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q", name)
	}
	if s.Tolerance == 0 {
		s.Tolerance = info.Tolerance
	}
	if s.Tolerance == 0 {
		s.Tolerance = 5 * time.Minute
	}
	return info.New(s)
}

// Names lists the registered providers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All lists the registered providers, sorted by name.
func All() []Info {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Info, 0, len(registry))
	for _, info := range registry {
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Sample returns the named provider's sample body for an event ("" for its
// DefaultEvent). Slashes and colons in event names (orders/create,
// repo:push) map to dashes in file names; "Push Hook" style names to their
// first word, lower-cased.
func Sample(provider, event string) ([]byte, error) {
	info, ok := Lookup(provider)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q", provider)
	}
	if event == "" {
		event = info.DefaultEvent
	}
	if info.Samples != nil {
		names := []string{event, strings.NewReplacer("/", "-", ":", "-").Replace(event), strings.ToLower(strings.Fields(event + " x")[0])}
		for _, n := range names {
			for _, ext := range []string{".json", ".form", ".xml"} {
				if b, err := fs.ReadFile(info.Samples, n+ext); err == nil {
					return b, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no sample payload for provider %s event %q (have: %s)", provider, event, strings.Join(Samples(provider), ", "))
}

// Samples lists the sample events of a provider.
func Samples(provider string) []string {
	info, ok := Lookup(provider)
	if !ok || info.Samples == nil {
		return nil
	}
	entries, _ := fs.ReadDir(info.Samples, ".")
	var out []string
	for _, e := range entries {
		n := e.Name()
		switch path.Ext(n) {
		case ".json", ".form", ".xml":
			out = append(out, strings.TrimSuffix(n, path.Ext(n)))
		}
	}
	sort.Strings(out)
	return out
}

// MarkdownTable is the README's provider table, one row per registered
// provider, built from each provider's Doc.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| provider | verification | handshake | event type | delivery id | replay window |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, info := range All() {
		name := "`" + info.Name + "`"
		if info.Doc.Link != "" {
			name = "[" + name + "](" + info.Doc.Link + ")"
		}
		d := info.Doc
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, cell(d.Verification), cell(d.Handshake), cell(d.Event), cell(d.DeliveryID), cell(d.ReplayWindow))
	}
	return b.String()
}

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

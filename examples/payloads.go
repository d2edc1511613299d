// Package examples ships realistic sample payloads for `hookrunner send`
// and the tests, and the runnable example configs beside them.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed payloads
var payloads embed.FS

// defaults is the sample used when no event is named.
var defaults = map[string]string{
	"github": "push", "gitlab": "push", "gitea": "push", "gogs": "push", "bitbucket": "repo-push",
	"stripe": "customer.created", "shopify": "orders-create", "alertmanager": "firing", "grafana": "firing",
	"slack": "slash_command", "standardwebhooks": "invoice.paid", "generic": "event",
	"twilio": "message", "discord": "application_command", "salesforce-outbound": "Opportunity",
}

// Payload returns the sample body for a provider and event ("" for the
// provider's most common event). Slashes in event names (orders/create)
// map to dashes in file names; "Push Hook" style names to their first word.
func Payload(provider, event string) ([]byte, error) {
	if event == "" {
		event = defaults[provider]
	}
	names := []string{event, strings.ReplaceAll(event, "/", "-"), strings.ToLower(strings.Fields(event + " x")[0])}
	for _, n := range names {
		for _, ext := range []string{".json", ".form", ".xml"} {
			if b, err := payloads.ReadFile(path.Join("payloads", provider, n+ext)); err == nil {
				return b, nil
			}
		}
	}
	return nil, fmt.Errorf("no sample payload for provider %s event %q (have: %s)", provider, event, strings.Join(Samples(provider), ", "))
}

// Samples lists the sample events of a provider.
func Samples(provider string) []string {
	entries, _ := fs.ReadDir(payloads, path.Join("payloads", provider))
	var out []string
	for _, e := range entries {
		n := e.Name()
		out = append(out, strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, ".json"), ".form"), ".xml"))
	}
	sort.Strings(out)
	return out
}

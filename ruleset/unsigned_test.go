package ruleset_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/ruleset"
)

// A source of a sender that signs nothing loads with a warning unless it
// has allow_ips; a provider that answers with its own acknowledgement
// cannot have a respond: sync rule (the sender would never get its Ack).
func TestUnsignedSourceAndAckLoad(t *testing.T) {
	const src = `
sources:
  sf: { provider: salesforce-outbound, organization_id: 00D5e000001N2XkEAK%s }
rules:
  - { name: r, source: sf, events: [Opportunity]%s, actions: [ { shell: { command: ["/bin/true"] } } ] }
`
	tests := []struct {
		name, allow, respond string
		warn                 bool
		err                  string
	}{
		{"no allow_ips warns", "", "", true, ""},
		{"allow_ips, no warning", ", allow_ips: [203.0.113.0/24]", "", false, ""},
		{"respond: sync refused", ", allow_ips: [203.0.113.0/24]", ", respond: sync", false, "hooks.yaml:5: rules[0] (r).respond: sync: provider salesforce-outbound answers with its own acknowledgement"},
	}
	for _, tt := range tests {
		snap, err := ruleset.Parse("hooks.yaml", []byte(strings.ReplaceAll(fmt.Sprintf(src, tt.allow, tt.respond), "\t", "")))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		warned := len(snap.Warnings) == 1 && strings.Contains(snap.Warnings[0], "sources.sf: Salesforce signs nothing")
		if warned != tt.warn {
			t.Errorf("%s: warnings = %q", tt.name, snap.Warnings)
		}
	}
}

// An sns source without topics accepts any AWS account's topic, and every
// account's messages come from AWS's addresses: allow_ips does not silence
// its warning; topics does.
func TestSNSWithoutTopicsWarnsDespiteAllowIPs(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		warn        bool
	}{
		{"no topics", "", true},
		{"no topics, allow_ips", ", allow_ips: [54.240.0.0/16]", true},
		{"topics", ", topics: [\"arn:aws:sns:us-east-1:123456789012:deploys\"]", false},
		{"any topic on purpose", ", topics: [\"*\"]", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := "sources:\n  aws: { provider: sns" + tt.extra + " }\nrules:\n  - { name: r, source: aws, actions: [ { shell: { command: [\"/bin/true\"] } } ] }\n"
			snap, err := ruleset.Parse("hooks.yaml", []byte(cfg))
			if err != nil {
				t.Fatal(err)
			}
			warned := len(snap.Warnings) == 1 && strings.Contains(snap.Warnings[0], "sources.aws: sns without topics")
			if warned != tt.warn {
				t.Fatalf("warnings = %q, want a warning: %v", snap.Warnings, tt.warn)
			}
		})
	}
}

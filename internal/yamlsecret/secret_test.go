package yamlsecret

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// A secret is kept out of the text however YAML spells it, and Restore
// gives back a text that reads as the original.
func TestHideEverySpelling(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		secrets    []string
		gone       []string // what the hidden text must not hold
	}{
		{"plain", "secret: plainSECRET-1\n", []string{"plainSECRET-1"}, []string{"plainSECRET-1"}},
		{"escape", "esc: { secret: \"yamlESC\\x41PED-5150\" }\n", []string{"yamlESCAPED-5150"}, []string{`yamlESC\x41PED-5150`, "yamlESC"}},
		{"wrapped double-quoted", "ml:\n  secret: \"foldedSECRETpart1\n    foldedSECRETpart2\"\n  header: X-ML\n", []string{"foldedSECRETpart1 foldedSECRETpart2"}, []string{"foldedSECRETpart1", "foldedSECRETpart2"}},
		{"doubled single quote", "sq: { secret: 'quote''dSECRET-2468', header: X-SQ }\n", []string{"quote'dSECRET-2468"}, []string{"quote''dSECRET-2468", "dSECRET-2468"}},
		{"wrapped plain", "a:\n  secret: plainWRAP-one\n    plainWRAP-two\n  b: 1\n", []string{"plainWRAP-one plainWRAP-two"}, []string{"plainWRAP-one", "plainWRAP-two"}},
		{"literal block", "key: |\n  -----BEGIN KEY-----\n  blockSECRET-line\n  -----END KEY-----\nnext: 1\n", []string{"-----BEGIN KEY-----\nblockSECRET-line\n-----END KEY-----\n"}, []string{"blockSECRET-line"}},
		{"folded block", "key: >-\n  foldSECRET\n  more\nnext: 1\n", []string{"foldSECRET more"}, []string{"foldSECRET"}},
		{"tag and anchor", "a: !!str &s \"tag\\u0053ECRET\"\nb: *s\n", []string{"tagSECRET"}, []string{`tag\u0053ECRET`}},
		{"inside a URL", "url: \"http://relay:pw\\x2Dsecret@h/x\"\n", []string{"pw-secret"}, []string{`pw\x2Dsecret`}},
		{"a key", "tokens:\n  \"listen\\x2Dtok-1\": [github]\n", []string{"listen-tok-1"}, []string{`listen\x2Dtok-1`}},
		{"comment", "a: 1 # old secret commentSECRET\n", []string{"commentSECRET"}, []string{"commentSECRET"}},
		{"after a backslash escape", "a: \"x\\tabcd-secret\"\n", []string{"abcd-secret"}, []string{"abcd-secret"}},
		{"CRLF and non-ASCII", "é: ü\r\nsecret: \"crlf\\x53ECRET\"\r\n", []string{"crlfSECRET"}, []string{`crlf\x53ECRET`}},
		{"flow list", "secrets: [\"rot\\x41te-new\", 'rot''old']\n", []string{"rotAte-new", "rot'old"}, []string{`rot\x41te-new`, "rot''old"}},
	} {
		hidden, err := Hide(tc.text, tc.secrets)
		if err != nil {
			t.Errorf("%s: Hide: %v", tc.name, err)
			continue
		}
		for _, g := range tc.gone {
			if strings.Contains(hidden, g) {
				t.Errorf("%s: the hidden text holds %q:\n%s", tc.name, g, hidden)
			}
		}
		back, err := Restore(hidden, tc.secrets)
		if err != nil {
			t.Errorf("%s: Restore: %v", tc.name, err)
			continue
		}
		var want, got any
		if err := yaml.Unmarshal([]byte(tc.text), &want); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := yaml.Unmarshal([]byte(back), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: restored text reads %v (%v), want %v:\n%s", tc.name, got, err, want, back)
		}
	}
}

func TestRestoreNamesMissing(t *testing.T) {
	hidden, err := Hide("a: \"gone\\x2Dsecret\"\n", []string{"gone-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(hidden, nil); err == nil || !strings.Contains(err.Error(), Placeholder("gone-secret")) {
		t.Errorf("Restore without the value: %v", err)
	}
}

package config_test

import (
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

// FuzzParse: any bytes either load or give problems; never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte("sources: {a: {provider: github, secret: ${X:-y}}}\nrules: []\n"))
	f.Add([]byte("server: {max_body: 10MiB, listen: ':1'}\n"))
	f.Add([]byte("rules: [ {name: a, trigger_rule: 1} ]"))
	f.Add([]byte("\x00\xff{{{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("hooks.yaml", data, func(string) (string, bool) { return "", false })
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}

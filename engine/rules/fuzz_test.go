package rules_test

import (
	"testing"

	"github.com/hookrunner/hookrunner/engine/rules"
)

// FuzzTemplate: any template either compiles or is refused; a compiled one
// renders or errors against a real event; never a panic.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"plain", "{{ payload.after }}", "a {{ payload.count * 2 }} b", "{{ payload.repository }}",
		"{{ upper(payload.ref) }}", "{{", "}}{{ }}", "{{ payload[\"x\"] ?? 'd' }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := rules.CompileTemplate(src)
		if err != nil {
			return
		}
		_, _ = tpl.Render(env())
	})
}

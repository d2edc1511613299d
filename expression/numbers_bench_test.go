package expression_test

import (
	"testing"

	"github.com/hookrunner/hookrunner/expression"
)

// BenchmarkNumberCondition: a comparison with a payload number goes
// through the number functions (one call); a string comparison does not.
func BenchmarkNumberCondition(b *testing.B) {
	for _, src := range []string{`payload.ref == "refs/heads/main"`, "payload.id == 820982911946154509", "payload.price > 10", "payload.n + 1 > 3"} {
		c, err := expression.CompileCondition(src)
		if err != nil {
			b.Fatal(err)
		}
		env := numEnv()
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if ok, err := c.Eval(env); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

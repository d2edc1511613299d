package sqlstore

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestQueriesWrittenOnce: every statement is set, and no two statements of
// the store are the same text (a second copy would drift from the first).
func TestQueriesWrittenOnce(t *testing.T) {
	dollar := func(q string) string {
		var b strings.Builder
		n := 0
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	tests := map[string]Dialect{
		"question marks": {Rebind: func(q string) string { return q }, DataVersion: "PRAGMA data_version"},
		"dollar":         {Rebind: dollar, ForUpdate: "FOR UPDATE SKIP LOCKED", DataVersion: "SELECT 1 AS data_version"},
	}
	for name, d := range tests {
		t.Run(name, func(t *testing.T) {
			q := buildQueries(d)
			v := reflect.ValueOf(q)
			seen := map[string]string{}
			for i := 0; i < v.NumField(); i++ {
				f := v.Type().Field(i)
				if f.Type.Kind() != reflect.String {
					continue
				}
				text := v.Field(i).String()
				if strings.TrimSpace(text) == "" {
					t.Errorf("query %s is empty", f.Name)
				}
				if other, dup := seen[text]; dup {
					t.Errorf("queries %s and %s are the same statement", other, f.Name)
				}
				seen[text] = f.Name
				if d.Rebind("?") != "?" && strings.Contains(text, "?") {
					t.Errorf("query %s was not rebound: %s", f.Name, text)
				}
			}
			if got := q.dueExcept(2, d.ForUpdate); d.Rebind("?") != "?" && !strings.Contains(got, "$4") {
				t.Errorf("dueExcept(2) = %s; want four placeholders", got)
			}
		})
	}
}

package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// numbersConfig: two rules that differ only in the last digit of an id
// above 2^53; the matching one passes the payload's numbers to a real
// child process (argv and env) and to an HTTP target (path, query, JSON
// body), each in a template.
const numbersConfig = `
sources:
  github: { provider: github, secret: "gh-test-secret" }
rules:
  - name: order-509
    source: github
    events: [push]
    if: payload.id == 820982911946154509 && payload.price == 10.5 && payload.total > 10 && payload.big == payload.big
    actions:
      - shell:
          command: ["/bin/sh", "%DIR%/argv.sh", "{{ payload.id }}", "{{ payload.price }}", "{{ payload.big }}", "{{ payload.rate }}", "{{ payload.id + 1 }}"]
          env: { ORDER_ID: "{{ payload.id }}", PRICE: "{{ payload.price }}" }
      - http:
          url: "%TARGET%/orders/{{ payload.id }}?price={{ payload.price }}&big={{ payload.big }}"
          body: '{"id": {{ payload.id }}, "price": {{ payload.price }}, "big": {{ payload.big }}, "rate": {{ payload.rate }}, "text": "{{ payload.price }}", "all": {{ toJSON(payload.items) }}}'
  - name: order-508
    source: github
    events: [push]
    if: payload.id == 820982911946154508
    actions:
      - shell: { command: ["/bin/true"] }
  - name: big-uint
    source: github
    events: [push]
    if: string(payload.big) == "18446744073709551615" && payload.big > 9223372036854775807 && payload.big != 9223372036854775807
    actions:
      - shell: { command: ["/bin/true"] }
`

// TestNumbersStayExact: JSON numbers reach conditions, a child's argv and
// env, and an HTTP request's URL and JSON body exactly as they were sent:
// an id above 2^53 matches its own rule and not its neighbour's, 10.50
// stays 10.50, a uint64 above int64 stays whole.
func TestNumbersStayExact(t *testing.T) {
	type capture struct{ path, query, body string }
	got := make(chan capture, 4)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- capture{r.URL.EscapedPath(), r.URL.RawQuery, string(b)}
	}))
	defer target.Close()
	dir := t.TempDir()
	writeScript(t, dir, "argv.sh", `out="`+dir+`/argv.out"; for a in "$@"; do printf '%s\n' "$a"; done > "$out.tmp"; printf 'ORDER_ID=%s\nPRICE=%s\n' "$ORDER_ID" "$PRICE" >> "$out.tmp"; mv "$out.tmp" "$out"`+"\n")
	in := startIn(t, dir, strings.ReplaceAll(numbersConfig, "%TARGET%", target.URL), false)

	body := []byte(`{"id":820982911946154509,"price":10.50,"total":12.00,"rate":1.0e-2,"big":18446744073709551615,"items":[{"qty":3,"price":0.10}]}`)
	code, ans := in.postGitHub(t, "gh-test-secret", "push", "n-1", body)
	if code != 202 {
		t.Fatalf("post: %d %v", code, ans)
	}
	eventID, _ := ans["id"].(string)
	if m := ans["matched"]; !sameStrings(m, "order-509", "big-uint") {
		t.Fatalf("matched = %v, want order-509 and big-uint (not order-508: ids above 2^53 compare exactly)", m)
	}
	code, ans = in.postGitHub(t, "gh-test-secret", "push", "n-2", []byte(`{"id":820982911946154508,"price":1,"total":1,"big":1}`))
	if code != 202 || !sameStrings(ans["matched"], "order-508") {
		t.Fatalf("neighbour id: %d %v", code, ans)
	}

	var argv []byte
	waitFor(t, "the child's argv", 10*time.Second, func() bool {
		argv, _ = os.ReadFile(filepath.Join(dir, "argv.out"))
		return len(argv) > 0
	})
	wantArgv := "820982911946154509\n10.50\n18446744073709551615\n1.0e-2\n820982911946154510\nORDER_ID=820982911946154509\nPRICE=10.50\n"
	if string(argv) != wantArgv {
		t.Errorf("argv and env:\n%s\nwant:\n%s", argv, wantArgv)
	}
	var c capture
	select {
	case c = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the HTTP action did not call")
	}
	if c.path != "/orders/820982911946154509" || c.query != "price=10.50&big=18446744073709551615" {
		t.Errorf("url: %s?%s", c.path, c.query)
	}
	wantBody := `{"id": 820982911946154509, "price": 10.50, "big": 18446744073709551615, "rate": 1.0e-2, "text": "10.50", "all": [{"price":0.10,"qty":3}]}`
	if c.body != wantBody && c.body != strings.ReplaceAll(wantBody, `[{"price":0.10,"qty":3}]`, "[\n  {\n    \"price\": 0.10,\n    \"qty\": 3\n  }\n]") {
		t.Errorf("body:\n%s\nwant:\n%s", c.body, wantBody)
	}
	if !json.Valid([]byte(c.body)) {
		t.Errorf("body is not JSON: %s", c.body)
	}

	// The console's view of the event shows the payload's numbers as sent.
	resp, err := http.Get(in.adm + "/api/events/" + eventID)
	if err != nil {
		t.Fatal(err)
	}
	detail, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, tok := range []string{`"id":820982911946154509`, `"price":10.50`, `"big":18446744073709551615`, `"rate":1.0e-2`} {
		if !strings.Contains(string(detail), tok) {
			t.Errorf("event detail lacks %s: %s", tok, detail)
		}
	}
}

func sameStrings(v any, want ...string) bool {
	l, ok := v.([]any)
	if !ok || len(l) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, e := range l {
		s, _ := e.(string)
		seen[s] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}

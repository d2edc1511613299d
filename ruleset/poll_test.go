package ruleset

import (
	"net/url"
	"testing"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
)

// The cursor comes from the polled API's answer: it is escaped for where it
// stands in the poll URL, and cannot choose the host.
func TestPollCursorEscaped(t *testing.T) {
	if _, err := compilePoll(&config.Poll{URL: "https://{{ cursor }}/orders", Items: "payload", ID: "payload.id"}); err == nil {
		t.Fatal("a cursor in the host compiled")
	}
	p, err := compilePoll(&config.Poll{URL: "https://api.example.com/orders?since={{ cursor }}&limit=3", Items: "payload", ID: "payload.id"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.URL.Render(&expression.Env{Cursor: "1&limit=100000"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(out)
	if q := u.Query(); len(q) != 2 || q.Get("since") != "1&limit=100000" || q.Get("limit") != "3" {
		t.Fatalf("query of %q = %v", out, q)
	}
}

// A poll's headers are checked as an http action's are: one header given
// under two spellings, or a name that is not a token, is refused at load.
func TestPollHeadersChecked(t *testing.T) {
	for name, h := range map[string]map[string]string{
		"two spellings": {"Authorization": "Bearer a", "authorization": "Bearer b"},
		"bad name":      {"X A": "1"},
		"control":       {"X-A": "a\u2028b"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := compilePoll(&config.Poll{URL: "https://api.example.com/orders", Headers: h, Items: "payload", ID: "payload.id"}); err == nil {
				t.Fatalf("headers %q compiled", h)
			}
		})
	}
}

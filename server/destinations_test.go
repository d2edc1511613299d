package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/engine"
)

// TestDestinations: the API and the console's overview show the circuit
// breakers and the limits, escaped, and the overview names none when
// there are none.
func TestDestinations(t *testing.T) {
	b := setupAdmin(t, "")
	if page := body(t, b.do(req{method: "GET", path: "/ui"})); strings.Contains(page, `id="destinations"`) {
		t.Fatal("a destinations panel with nothing to show")
	}
	until := time.Date(2030, 1, 1, 0, 0, 30, 0, time.UTC)
	b.eng.mu.Lock()
	b.eng.dests = engine.DestinationStatus{BreakerFailures: 5,
		Breakers: []engine.Breaker{{Destination: "api.example.com", State: "open", Failures: 5, OpenUntil: until}, {Destination: "<b>x</b>:81", State: "closed"}},
		Limits:   []engine.DestinationLimit{{Destination: "api.example.com", Rate: 10, Burst: 1, Concurrency: 4}}}
	b.eng.mu.Unlock()

	page := body(t, b.do(req{method: "GET", path: "/ui"}))
	for _, want := range []string{`id="destinations"`, "api.example.com", `br-open`, "2030-01-01 00:00:30Z", "&lt;b&gt;x&lt;/b&gt;:81", "<td>10</td><td>1</td><td>4</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>x</b>") {
		t.Error("a destination name reached the page unescaped")
	}
	var got engine.DestinationStatus
	if err := json.Unmarshal([]byte(body(t, b.do(req{method: "GET", path: "/api/destinations"}))), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Breakers) != 2 || got.Breakers[0].State != "open" || len(got.Limits) != 1 || got.Limits[0].Concurrency != 4 {
		t.Fatalf("API = %+v", got)
	}
}

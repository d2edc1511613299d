package engine

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRecentDeliveries(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var r recentDeliveries
	r.put("gh", "d-1", "ev-1", t0)
	r.put("gh", "", "ev-x", t0)                                 // no id: never remembered
	r.put("gh", strings.Repeat("x", recentMaxID+1), "ev-y", t0) // too long: left to Ingest
	r.put("gh", "d-2", "ev-2", time.Time{})                     // recorded when unknown: not remembered
	for _, c := range []struct {
		source, id string
		since      time.Time
		want       string
		ok         bool
	}{
		{"gh", "d-1", t0.Add(-time.Hour), "ev-1", true},
		{"gh", "d-1", t0, "ev-1", true},
		{"gh", "d-1", t0.Add(time.Nanosecond), "", false}, // recorded before the window
		{"other", "d-1", t0.Add(-time.Hour), "", false},   // per source
		{"gh", "", t0.Add(-time.Hour), "", false},
		{"gh", strings.Repeat("x", recentMaxID+1), t0.Add(-time.Hour), "", false},
		{"gh", "d-2", t0.Add(-time.Hour), "", false},
	} {
		got, ok := r.seen(c.source, c.id, c.since)
		if got != c.want || ok != c.ok {
			t.Errorf("seen(%q, %.10q, %v) = %q, %v; want %q, %v", c.source, c.id, c.since, got, ok, c.want, c.ok)
		}
	}
	// Bounded: the oldest go first.
	for i := 0; i < recentCap; i++ {
		r.put("gh", "n-"+strconv.Itoa(i), "ev", t0)
	}
	if len(r.m) != recentCap || len(r.ring) != recentCap {
		t.Fatalf("%d remembered, ring %d; want %d", len(r.m), len(r.ring), recentCap)
	}
	if _, ok := r.seen("gh", "d-1", t0); ok {
		t.Error("the oldest delivery is still remembered past the bound")
	}
	if _, ok := r.seen("gh", "n-"+strconv.Itoa(recentCap-1), t0); !ok {
		t.Error("the newest delivery is not remembered")
	}
}

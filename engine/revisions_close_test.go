package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/ruleset"
)

// closeCounter is an action that counts its Close calls.
type closeCounter struct{ closed int }

func (c *closeCounter) Run(context.Context, *actions.Invocation) (actions.Result, error) {
	return actions.Result{}, nil
}
func (c *closeCounter) Describe(*expression.Env) (string, error) { return "", nil }
func (c *closeCounter) Close() error                             { c.closed++; return nil }

func snapWithCounter(hash string) (*ruleset.Snapshot, *closeCounter) {
	c := &closeCounter{}
	return &ruleset.Snapshot{Hash: hash, Ordered: []*ruleset.Rule{{Name: "r", Steps: []ruleset.Step{{Kind: "count", Action: c}}}}}, c
}

// A kept revision is closed when it is evicted or replaced by a newer
// object of the same config, never while it is the one in force, and
// exactly once.
func TestRevisionsCloseDroppedSnapshots(t *testing.T) {
	var inForce *ruleset.Snapshot
	r := &revisions{inForce: func() *ruleset.Snapshot { return inForce }}
	first, firstC := snapWithCounter("h0")
	inForce = first
	r.put(first)
	r.put(first) // the same object again: nothing dropped
	counters := []*closeCounter{firstC}
	for i := 1; i <= maxKeptRevisions; i++ {
		s, c := snapWithCounter(fmt.Sprintf("h%d", i))
		r.put(s)
		counters = append(counters, c)
	}
	if firstC.closed != 0 {
		t.Fatal("the snapshot in force was closed on eviction")
	}
	inForce = nil
	for i := 1; i <= maxKeptRevisions; i++ {
		s, _ := snapWithCounter(fmt.Sprintf("n%d", i))
		r.put(s)
		if c := counters[i]; c.closed != 1 {
			t.Fatalf("h%d evicted by n%d: closed %d times, want 1", i, i, c.closed)
		}
	}
	// A config reloaded back: the newer object replaces the kept one,
	// which is closed.
	again, againC := snapWithCounter("n5")
	old := r.get("n5")
	r.put(again)
	if r.get("n5") != again || againC.closed != 0 {
		t.Fatal("the newer object of a config was not kept")
	}
	if c := old.Ordered[0].Steps[0].Action.(*closeCounter); c.closed != 1 {
		t.Fatalf("the replaced object was closed %d times, want 1", c.closed)
	}
}

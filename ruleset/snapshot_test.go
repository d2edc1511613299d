package ruleset

import (
	"context"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

// closeCounter is an action that counts its Close calls.
type closeCounter struct{ closed int }

func (c *closeCounter) Run(context.Context, *actions.Invocation) (actions.Result, error) {
	return actions.Result{}, nil
}
func (c *closeCounter) Describe(*expression.Env) (string, error) { return "", nil }
func (c *closeCounter) Close() error                             { c.closed++; return nil }

// Snapshot.Close closes every action of every rule.
func TestSnapshotClose(t *testing.T) {
	a, b := &closeCounter{}, &closeCounter{}
	s := &Snapshot{Ordered: []*Rule{{Name: "x", Steps: []Step{{Action: a}}}, {Name: "y", Steps: []Step{{Action: a}, {Action: b}}}}}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if a.closed != 2 || b.closed != 1 {
		t.Fatalf("closed a %d b %d times", a.closed, b.closed)
	}
}

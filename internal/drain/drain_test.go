package drain

import (
	"context"
	"errors"
	"testing"
)

var errStop = errors.New("shutdown")

func TestGroup(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, g *Group)
	}{
		{"cancel reaches joined work with its cause", func(t *testing.T, g *Group) {
			ctx, leave := g.Join(context.Background())
			defer leave()
			g.Cancel(errStop)
			<-ctx.Done()
			if !errors.Is(context.Cause(ctx), errStop) {
				t.Fatalf("cause = %v", context.Cause(ctx))
			}
		}},
		{"work joined after cancel starts cancelled", func(t *testing.T, g *Group) {
			g.Cancel(errStop)
			ctx, leave := g.Join(context.Background())
			defer leave()
			<-ctx.Done()
			if !errors.Is(context.Cause(ctx), errStop) {
				t.Fatalf("cause = %v", context.Cause(ctx))
			}
		}},
		{"the parent still cancels", func(t *testing.T, g *Group) {
			parent, cancel := context.WithCancel(context.Background())
			ctx, leave := g.Join(parent)
			defer leave()
			cancel()
			<-ctx.Done()
			if errors.Is(context.Cause(ctx), errStop) {
				t.Fatal("cancelled with the group's cause")
			}
		}},
		{"wait waits for every joined work", func(t *testing.T, g *Group) {
			_, leave1 := g.Join(context.Background())
			_, leave2 := g.Join(context.Background())
			waited := make(chan struct{})
			go func() { g.Wait(); close(waited) }()
			leave1()
			leave1() // twice is once
			select {
			case <-waited:
				t.Fatal("Wait returned with work left")
			default:
			}
			leave2()
			<-waited
		}},
		{"wait with nothing joined returns", func(t *testing.T, g *Group) { g.Wait() }},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, &Group{}) })
	}
}

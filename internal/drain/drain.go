// Package drain lets work started outside a worker pool (a request that
// runs its actions in its own goroutine) take part in the pool's drain at
// shutdown: the pool cancels it with its own cause, and waits for it.
package drain

import (
	"context"
	"sync"
)

// Group counts the work joined to it. The zero value is ready to use.
type Group struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelCauseFunc
	n      int
	idle   chan struct{} // closed when n drops to 0 while Wait waits
}

func (g *Group) init() {
	if g.ctx == nil {
		g.ctx, g.cancel = context.WithCancelCause(context.Background())
	}
}

// Join returns a context that is done when parent is, or when Cancel is
// called (then with Cancel's cause, also for work joined after it), and
// counts the caller in Wait until leave is called.
func (g *Group) Join(parent context.Context) (ctx context.Context, leave func()) {
	g.mu.Lock()
	g.init()
	g.n++
	gctx := g.ctx
	g.mu.Unlock()
	ctx, cancel := context.WithCancelCause(parent)
	stop := context.AfterFunc(gctx, func() { cancel(context.Cause(gctx)) })
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			stop()
			cancel(context.Canceled)
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.n--; g.n == 0 && g.idle != nil {
				close(g.idle)
				g.idle = nil
			}
		})
	}
}

// Cancel cancels the work joined, and any joined later, with cause.
func (g *Group) Cancel(cause error) {
	g.mu.Lock()
	g.init()
	cancel := g.cancel
	g.mu.Unlock()
	cancel(cause)
}

// Wait returns once no joined work is left. Work may join while it waits.
func (g *Group) Wait() {
	g.mu.Lock()
	if g.n == 0 {
		g.mu.Unlock()
		return
	}
	if g.idle == nil {
		g.idle = make(chan struct{})
	}
	idle := g.idle
	g.mu.Unlock()
	<-idle
}

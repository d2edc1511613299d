// Package broadcast wakes every waiter at once: Wait returns a channel that
// the next Fire closes. The zero value is ready to use.
package broadcast

import "sync"

// Broadcast is a one-shot wake-up, armed again by each Wait after a Fire.
type Broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

// Wait returns a channel closed by the next Fire.
func (b *Broadcast) Wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

// Fire wakes every waiter of the current Wait channel.
func (b *Broadcast) Fire() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

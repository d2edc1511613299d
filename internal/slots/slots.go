// Package slots is the worker pool's accounting: a slot for each action
// running, and places for the outcomes still being recorded after their
// run gave its slot to the next one.
//
// A run takes a slot (Take). When its actions are over it may give the
// slot back before its outcome is committed (Lease.Release), so that the
// next run starts while the commit is waited for, but only while a place
// is free for that outcome; without one it keeps the slot until Done. At
// any time, at most workers × (1 + placesPerWorker) runs have started
// without their outcome recorded: all that a crash can make run again.
package slots

// Pool holds the slots and the places.
type Pool struct {
	free      chan struct{}
	recording chan struct{}
}

// New returns a pool of workers slots and workers × placesPerWorker
// places.
func New(workers, placesPerWorker int) *Pool {
	p := &Pool{free: make(chan struct{}, workers), recording: make(chan struct{}, workers*placesPerWorker)}
	for range workers {
		p.free <- struct{}{}
	}
	return p
}

// Free is the number of slots free now.
func (p *Pool) Free() int { return len(p.free) }

// Take waits for a free slot and returns the run's lease of it.
func (p *Pool) Take() *Lease {
	<-p.free
	return &Lease{p: p}
}

// Lease is one run's slot; one goroutine uses it.
type Lease struct {
	p               *Pool
	released, early bool
}

// Release gives the slot back while the outcome is being recorded, if a
// place is free for it, and reports whether it did. Only the first call
// does anything.
func (l *Lease) Release() bool {
	if l.released {
		return false
	}
	l.released = true
	select {
	case l.p.recording <- struct{}{}:
		l.early = true
		l.p.free <- struct{}{}
		return true
	default:
		return false
	}
}

// Done ends the lease once the outcome is recorded: it frees the place,
// or the slot if the run kept it.
func (l *Lease) Done() {
	if l.early {
		<-l.p.recording
		return
	}
	l.p.free <- struct{}{}
}

package slots

import "testing"

// TestPool: slots go back early only while places are free; Done frees
// what the lease held; nothing is given back twice.
func TestPool(t *testing.T) {
	p := New(2, 1) // 2 slots, 2 places
	a, b := p.Take(), p.Take()
	if p.Free() != 0 {
		t.Fatalf("free after two takes: %d", p.Free())
	}
	if !a.Release() || a.Release() || p.Free() != 1 {
		t.Fatalf("first release, then again: free %d", p.Free())
	}
	c := p.Take()
	if !b.Release() || p.Free() != 1 {
		t.Fatalf("second release: free %d", p.Free())
	}
	d := p.Take()
	// Both places are taken: c and d keep their slots.
	if c.Release() || d.Release() || p.Free() != 0 {
		t.Fatalf("a release with no place free gave a slot back: free %d", p.Free())
	}
	for _, l := range []*Lease{a, b, c, d} {
		l.Done()
	}
	if p.Free() != 2 || len(p.recording) != 0 {
		t.Fatalf("after every Done: free %d, places taken %d", p.Free(), len(p.recording))
	}
}

package broadcast

import "testing"

func TestFireWakesEveryWaiterOnce(t *testing.T) {
	var b Broadcast
	w1, w2 := b.Wait(), b.Wait()
	select {
	case <-w1:
		t.Fatal("woken before Fire")
	default:
	}
	b.Fire()
	for i, w := range []<-chan struct{}{w1, w2} {
		select {
		case <-w:
		default:
			t.Fatalf("waiter %d not woken by Fire", i)
		}
	}
	next := b.Wait()
	select {
	case <-next:
		t.Fatal("a Wait after Fire is woken by the earlier Fire")
	default:
	}
	b.Fire()
	<-next
}

package engine

import (
	"sync"
	"time"
)

// recentCap bounds the deliveries remembered (about 200 bytes each).
const recentCap = 16384

// recentDeliveries remembers the deliveries this process stored or found
// stored lately, with when each was recorded, so a delivery sent again
// (a sender's retry, a replay) is answered as a duplicate before any rule
// runs without reading the store. It only ever answers "seen": a delivery
// it does not know goes on to matching and Ingest, which dedupes in the
// same transaction that stores, so the answer is the same with or without
// it, across replicas and restarts; what it saves is the store read that
// every first delivery paid before.
type recentDeliveries struct {
	mu   sync.Mutex
	m    map[deliveryKey]recentDelivery
	ring []deliveryKey // insertion order, for eviction
	next int
}

type deliveryKey struct{ source, id string }

type recentDelivery struct {
	eventID    string
	recordedAt time.Time
}

// seen returns the event a delivery was stored as when it was recorded
// at or after since.
func (r *recentDeliveries) seen(source, id string, since time.Time) (string, bool) {
	if id == "" {
		return "", false
	}
	r.mu.Lock()
	d, ok := r.m[deliveryKey{source, id}]
	r.mu.Unlock()
	if !ok || d.recordedAt.IsZero() || d.recordedAt.Before(since) {
		return "", false
	}
	return d.eventID, true
}

// put remembers a delivery stored as eventID, recorded at recordedAt.
func (r *recentDeliveries) put(source, id, eventID string, recordedAt time.Time) {
	if id == "" || recordedAt.IsZero() {
		return
	}
	k := deliveryKey{source, id}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[deliveryKey]recentDelivery)
	}
	if _, ok := r.m[k]; !ok {
		if len(r.ring) < recentCap {
			r.ring = append(r.ring, k)
		} else {
			delete(r.m, r.ring[r.next])
			r.ring[r.next] = k
			r.next = (r.next + 1) % recentCap
		}
	}
	r.m[k] = recentDelivery{eventID: eventID, recordedAt: recordedAt}
}

package engine

import (
	"strings"
	"sync"
	"time"
)

const (
	// recentCap bounds the deliveries remembered.
	recentCap = 16384
	// recentMaxID is the longest delivery id remembered: the id usually
	// comes from an unsigned header, so a replayed request could carry a
	// huge one; longer ids are left to Ingest. With it the record stays
	// under about 8 MiB at worst (a few hundred kB for ordinary ids).
	recentMaxID = 256
)

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
	if id == "" || len(id) > recentMaxID || recordedAt.IsZero() {
		return
	}
	// Copies: the id may share memory with a larger string (a header).
	k := deliveryKey{strings.Clone(source), strings.Clone(id)}
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

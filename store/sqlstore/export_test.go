package sqlstore

import "context"

// WaitFilterLoads waits until the delivery filter of s has been loaded n
// times in all and reports the count.
func WaitFilterLoads(ctx context.Context, s *Store, n int64) (int64, error) {
	for {
		if got := s.filter.loads.Load(); got >= n {
			return got, nil
		}
		select {
		case <-s.filter.loaded:
		case <-ctx.Done():
			return s.filter.loads.Load(), ctx.Err()
		}
	}
}

// FilterNever is the filter's answer for a delivery id.
func FilterNever(s *Store, source, id string) bool { return s.filter.never(source, id) }

// LoadFilter loads the delivery filter of s now and reports as the
// background load does.
func LoadFilter(ctx context.Context, s *Store) error {
	s.filter.mu.Lock()
	s.filter.building = newBloom(s.filter.bits)
	s.filter.mu.Unlock()
	err := s.loadFilter(ctx)
	if err != nil {
		s.reportFilterLoad(ctx, err)
	}
	return err
}

// SetLoadRowHook sets what runs before each row a filter load reads (nil:
// nothing).
func SetLoadRowHook(h func(ctx context.Context)) { loadRowHook = h }

// OpenConns is how many connections of s are open, on both pools.
func OpenConns(s *Store) int {
	n := s.write.Stats().OpenConnections
	if s.read != s.write {
		n += s.read.Stats().OpenConnections
	}
	return n
}

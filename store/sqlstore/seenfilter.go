package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
)

// The delivery filter (Dialect.Serialized stores): a Bloom filter of every
// (source, delivery id) the store holds, kept in memory, so that the
// lookup a new delivery needs before matching (Seen) and again in its
// write transaction is skipped when the filter says "never stored". A
// Bloom filter has no false negatives: "maybe" falls back to the indexed
// read, so the filter decides nothing, it only saves reads. It is exact
// only while every write reaches it:
//
//   - The writer adds each delivery id it stores (ingest, poll, restore)
//     inside the transaction that stores it.
//   - It is loaded at open by a scan of the store, after the writer has
//     committed every transaction that began before the loader started
//     adding (a barrier through the writer): a delivery is either in the
//     scan's snapshot or added by the writer.
//   - Another process writing the same file (an import into a serving
//     store) is seen in the next write transaction: SQLite's data_version
//     changes only for other connections' commits. The filter is then put
//     aside (every lookup reads again) and loaded anew.
//
// Deleted events stay in the filter (a "maybe" more), and a filter that
// has taken more new ids since it was loaded than it was sized for is
// loaded anew (without the ids pruned meanwhile), so that the share of
// needless reads stays near 1 % while the store holds fewer than about
// 3.5 million delivery ids; a store holding more reads more often, and
// decides the same.

// seenBits is the filter's size in bits: 4 MiB, about 3.5 million ids at
// a 1.3 % false-positive rate with seenHashes hashes.
const (
	seenBits   = 1 << 25
	seenHashes = 4
)

// bloom is a fixed-size Bloom filter safe for concurrent use.
type bloom struct {
	seed  maphash.Seed
	words []atomic.Uint64
	mask  uint64
	n     atomic.Int64
}

func newBloom(bits int) *bloom {
	return &bloom{seed: maphash.MakeSeed(), words: make([]atomic.Uint64, bits/64), mask: uint64(bits - 1)}
}

func (b *bloom) hashes(source, id string) (uint64, uint64) {
	var h maphash.Hash
	h.SetSeed(b.seed)
	h.WriteString(source)
	h.WriteByte(0)
	h.WriteString(id)
	h1 := h.Sum64()
	h.WriteByte(1)
	return h1, h.Sum64() | 1
}

func (b *bloom) add(source, id string) {
	h1, h2 := b.hashes(source, id)
	for i := uint64(0); i < seenHashes; i++ {
		bit := (h1 + i*h2) & b.mask
		b.words[bit/64].Or(1 << (bit % 64))
	}
	b.n.Add(1)
}

func (b *bloom) mayContain(source, id string) bool {
	h1, h2 := b.hashes(source, id)
	for i := uint64(0); i < seenHashes; i++ {
		bit := (h1 + i*h2) & b.mask
		if b.words[bit/64].Load()&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// seenFilter is the store's delivery filter: nil until loaded, and while
// it is put aside.
type seenFilter struct {
	bits int
	cur  atomic.Pointer[bloom]
	// building is the filter a load fills; the writer adds to it too.
	mu       sync.Mutex
	building *bloom
	loading  bool
	// version is the write connection's data_version after the last
	// write transaction began (writer only).
	version int64
	// base is how many ids the filter in use held when it was loaded.
	base atomic.Int64
	// loads counts completed loads; loaded is signalled after each
	// (tests wait on it).
	loads  atomic.Int64
	loaded chan struct{}
}

// never reports that no event or delivery record of source holds id, so
// no lookup is needed.
func (f *seenFilter) never(source, id string) bool {
	if f == nil {
		return false
	}
	b := f.cur.Load()
	return b != nil && !b.mayContain(source, id)
}

// add records that the transaction in progress stores id for source.
func (f *seenFilter) add(source, id string) {
	if f == nil || id == "" {
		return
	}
	if b := f.cur.Load(); b != nil {
		b.add(source, id)
	}
	f.mu.Lock()
	if f.building != nil {
		f.building.add(source, id)
	}
	f.mu.Unlock()
}

// startFilter loads the delivery filter in the background.
func (s *Store) startFilter() {
	s.filter = &seenFilter{bits: s.opt.SeenFilterBits, loaded: make(chan struct{}, 1)}
	if s.filter.bits <= 0 {
		s.filter.bits = seenBits
	}
	s.reloadFilter()
}

// reloadFilter puts the filter aside and loads it anew in the background,
// unless a load is under way.
func (s *Store) reloadFilter() {
	f := s.filter
	f.cur.Store(nil)
	f.mu.Lock()
	if f.loading {
		f.mu.Unlock()
		return
	}
	f.loading, f.building = true, newBloom(f.bits)
	f.mu.Unlock()
	s.loaders.Add(1)
	go func() {
		defer s.loaders.Done()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		err := s.loadFilter(ctx)
		f.mu.Lock()
		b := f.building
		f.building, f.loading = nil, false
		f.mu.Unlock()
		if err != nil {
			s.reportFilterLoad(ctx, err)
			return
		}
		f.base.Store(b.n.Load())
		f.cur.Store(b)
		f.loads.Add(1)
		select {
		case f.loaded <- struct{}{}:
		default:
		}
	}()
}

// reportFilterLoad logs a failed load of the filter, unless the store is
// closing: a store closed while its filter loaded (a short CLI command)
// fails the load whichever step it reached (the writer refuses the
// barrier, the read pool is closed), and that is no failure.
func (s *Store) reportFilterLoad(ctx context.Context, err error) {
	select {
	case <-s.stop:
		return
	default:
	}
	if ctx.Err() == nil && !errors.Is(err, ErrClosed) {
		slog.Warn("store: delivery filter not loaded; every delivery is looked up", "error", err)
	}
}

// loadRowHook, when set (tests), runs before each row a load reads.
var loadRowHook func(ctx context.Context)

// loadFilter fills f.building from the store.
func (s *Store) loadFilter(ctx context.Context) error {
	// The barrier: a transaction through the writer, so every transaction
	// that began before building was set has committed (and is in the
	// snapshot below), and every later one adds to building.
	if err := s.do(ctx, func(context.Context, *sql.Tx) error { return nil }); err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	f := s.filter
	f.mu.Lock()
	b := f.building
	f.mu.Unlock()
	for _, q := range []string{
		`SELECT source, delivery_id FROM events ` + indexedBy(s.d.IndexedBy, "events_delivery") + ` WHERE delivery_id > ''`,
		`SELECT source, delivery_id FROM deliveries`,
	} {
		rows, err := s.read.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		for rows.Next() {
			if loadRowHook != nil {
				loadRowHook(ctx)
			}
			var source, id string
			if err := rows.Scan(&source, &id); err != nil {
				rows.Close()
				return err
			}
			b.add(source, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// checkFilter runs first in every write transaction of a store with a
// filter: another connection's commit since the last one puts the filter
// aside and loads it again; so does a filter fuller than it was sized for.
func (s *Store) checkFilter(ctx context.Context, tx *sql.Tx) error {
	f := s.filter
	if f == nil {
		return nil
	}
	var v int64
	if err := s.queryRow(ctx, tx, s.q.dataVersion).Scan(&v); err != nil {
		return fmt.Errorf("data version: %w", err)
	}
	changed := f.version != 0 && v != f.version
	f.version = v
	if changed {
		s.reloadFilter()
		return nil
	}
	if b := f.cur.Load(); b != nil && b.n.Load()-f.base.Load() > int64(f.bits/20) {
		// Grown by more than it was sized for since it was loaded: load
		// it anew without the ids pruned meanwhile.
		s.reloadFilter()
	}
	return nil
}

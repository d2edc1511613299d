package sqlite_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
	"github.com/hookrunner/hookrunner/store/sqlstore"
	"github.com/hookrunner/hookrunner/store/storetest"
)

// BenchmarkClaimDeepQueue: claim + finish throughput (runs/s) with 1,000
// and 100,000 runs queued; issue 22 asks the second to be ≥ 0.9 of the
// first. Run with -benchtime 1x (each iteration refills the queue).
func BenchmarkClaimDeepQueue(b *testing.B) {
	for _, queued := range []int{1000, 100000} {
		b.Run("queued="+strconv.Itoa(queued), func(b *testing.B) {
			var writes, txs atomic.Int64
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{
				Options: sqlstore.Options{OnCommit: func(n int) { writes.Add(int64(n)); txs.Add(1) }}})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storetest.BenchClaimDeepQueue(b, s, queued, 1000, func() (int64, int64) { return writes.Load(), txs.Load() })
		})
	}
}

// BenchmarkClaimRatio drains a 1,000-run and a 100,000-run queue in
// alternation and reports the ratio of their drain rates (issue 22).
func BenchmarkClaimRatio(b *testing.B) {
	var stores []store.Store
	for _, name := range []string{"small", "deep"} {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), name+".db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	storetest.BenchClaimRatio(b, stores[0], stores[1])
}

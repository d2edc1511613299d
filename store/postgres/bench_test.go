package postgres_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/hookrunner/hookrunner/internal/pgtest"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/postgres"
	"github.com/hookrunner/hookrunner/store/storetest"
)

// BenchmarkClaimDeepQueue is the SQLite benchmark of the same name on
// PostgreSQL (skipped without HOOKRUNNER_TEST_POSTGRES).
func BenchmarkClaimDeepQueue(b *testing.B) {
	for _, queued := range []int{1000, 100000} {
		b.Run("queued="+strconv.Itoa(queued), func(b *testing.B) {
			s, err := postgres.Open(context.Background(), pgtest.DSN(b), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storetest.BenchClaimDeepQueue(b, s, queued, 1000, nil)
		})
	}
}

// BenchmarkClaimRatio drains a 1,000-run and a 100,000-run queue in
// alternation and reports the ratio of their drain rates (issue 22).
func BenchmarkClaimRatio(b *testing.B) {
	var stores []store.Store
	for range 2 {
		s, err := postgres.Open(context.Background(), pgtest.DSN(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	storetest.BenchClaimRatio(b, stores[0], stores[1])
}

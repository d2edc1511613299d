package postgres_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/hookrunner/hookrunner/internal/pgtest"
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

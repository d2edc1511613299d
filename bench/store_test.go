// Package bench holds the load generator (bench/loadgen), the bare
// baseline server (bench/bare) and Go benchmarks of the store.
package bench

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// BenchmarkSQLiteIngest measures durable ingest through group commit with
// 64 concurrent writers, as the HTTP handlers do (one event + one run each).
func BenchmarkSQLiteIngest(b *testing.B) {
	for _, mode := range []string{"full", "normal"} {
		b.Run("synchronous="+mode, func(b *testing.B) {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{Synchronous: mode})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			body := []byte(`{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repository":{"full_name":"acme/api"}}`)
			var n atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := 0; w < 64; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n.Add(1) <= int64(b.N) {
						now := time.Now()
						ev := &store.Event{ID: store.NewID(), Source: "github", Provider: "github", Event: "push", DeliveryID: store.NewID(),
							Headers: map[string]string{"x-github-event": "push"}, Body: body, RemoteIP: "127.0.0.1", ReceivedAt: now, Matched: []string{"r"}}
						run := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "r", State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
						if _, err := s.Ingest(context.Background(), ev, []*store.Run{run}, now.Add(-time.Hour)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

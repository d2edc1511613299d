package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// BenchmarkIngestHandler drives the ingress handler in process, without
// the network: a verified GitHub push, 50 rules on the source (none
// matching), SQLite synchronous=full, 64 concurrent senders, every
// request with its own delivery id: the server's own CPU per request,
// the part of the loadgen's ingest row hookrunner can change. Profile it
// with -cpuprofile.
func BenchmarkIngestHandler(b *testing.B) {
	const secret = "bench-secret"
	var cfg strings.Builder
	cfg.WriteString("log: { level: warn }\nsources:\n  github: { provider: github, secret: \"" + secret + "\" }\nrules:\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&cfg, "  - name: rule-%d\n    source: github\n    events: [push]\n    if: payload.ref == \"refs/heads/main\" && payload.repository?.full_name == \"acme/service-%d\"\n    actions:\n      - http: { url: \"http://127.0.0.1:1/unused\" }\n", i, i)
	}
	c, err := config.Parse("hooks.yaml", []byte(cfg.String()), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	snap, err := ruleset.Build(c)
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "hr.db"), sqlite.Options{Synchronous: "full"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	log := slog.New(redact.NewHandler(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}),
		func() *redact.Redactor { return snap.Redactor }))
	eng := engine.New(snap, engine.Options{Store: st, Logger: log})
	h := server.NewIngress(eng, log, config.Server{MaxPending: 20000}).Handler()
	body := []byte(`{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repository":{"full_name":"acme/api","name":"api"},"pusher":{"name":"ada","email":"ada@acme.example"},"head_commit":{"id":"0d1a26e67d8f","message":"Fix rate limiter off-by-one","author":{"name":"Ada"}},"sender":{"login":"ada","id":583231}}`)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	sig := "sha256=" + hex.EncodeToString(m.Sum(nil))
	var seq atomic.Int64
	b.SetParallelism(32) // 64 senders on 2 CPUs
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/hooks/github", bytes.NewReader(body))
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Go-http-client/1.1")
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-Hub-Signature-256", sig)
			req.Header.Set("X-GitHub-Delivery", "d-"+strconv.FormatInt(seq.Add(1), 10))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusAccepted {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	// CPU of the whole process (handler, writer, GC) per request: on a
	// shared machine wall time moves with other load, CPU much less.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

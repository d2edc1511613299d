package payload_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/payload"
)

const pushJSON = `{"ref":"refs/heads/main","after":"0d1a26e67d8f","repository":{"full_name":"acme/svc-4200","name":"svc"},"pusher":{"name":"ada"},"commits":[{"id":"0d1a26e67d8f","message":"Fix","author":{"name":"Ada","email":"ada@example.com"}}]}`

// BenchmarkDecodePayload is the once-per-event JSON decode, for scale.
func BenchmarkDecodePayload(b *testing.B) {
	body := []byte(pushJSON)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := payload.Decode("application/json", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeNumbers compares the exact-number decode (payload.Decode)
// with the float64 decode it replaced (depth check + json.Unmarshal into
// any) on real provider bodies from HOOKRUNNER_PAYLOADS (default
// /work/shared/payloads); skipped when they are absent.
func BenchmarkDecodeNumbers(b *testing.B) {
	dir := os.Getenv("HOOKRUNNER_PAYLOADS")
	if dir == "" {
		dir = "/work/shared/payloads"
	}
	for _, f := range []string{"stripe/stripe-mock.fixture.event.json", "shopify/orders-create.body.json", "stripe/stripe-mock.fixture.invoice.json", "github/push.go-playground.json"} {
		body, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Skipf("no shared payloads: %v", err)
		}
		name := fmt.Sprintf("%s_%dB", strings.TrimSuffix(filepath.Base(f), ".json"), len(body))
		b.Run(name+"/exact", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := payload.Decode("application/json", body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/float64", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := payload.CheckJSONDepth(body, payload.MaxJSONDepth); err != nil {
					b.Fatal(err)
				}
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
